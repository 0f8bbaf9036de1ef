"""The state syncer keeps between runs: the ETag cache and the change journal (SQLite, or memory)."""
