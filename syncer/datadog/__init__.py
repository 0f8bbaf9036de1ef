"""Datadog: the Target protocol, the API client, the entity-integration documents."""
