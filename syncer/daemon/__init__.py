"""The long-lived daemon: scheduler and runs, the HTTP interface, reloads, signals, the PUT gate."""
