"""qingzhai (清债): lawful, compliance-first debt recovery and resolution."""

__version__ = "0.1.0"
