"""syncer keeps Datadog IDP entity-integration lists in step with GitHub, Jira and PagerDuty."""

__version__ = "0.1.0"
