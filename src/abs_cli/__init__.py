"""abs — activity-based selling from the command line."""

__version__ = "0.1.0"
