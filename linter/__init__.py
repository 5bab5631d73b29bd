"""seawall: an infrastructure-as-code linter that stops data from going public by mistake."""

__version__ = "0.1.0"
