"""Suite-wide plugins."""

pytest_plugins = ["tests.reliability"]
