"""govwatch monitor: typed config, the observation store, rules and the command line."""

__version__ = "0.1.0"
