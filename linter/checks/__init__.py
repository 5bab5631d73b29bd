"""Helpers for rules whose logic needs the graph (the ``check: python`` companions in rules/).

Each module answers one question the rules share: who an IAM-style policy lets in
(``aws_policy``), which protections cover an S3 bucket (``s3``), what a security group lets
in from the internet (``network``).
"""

from linter.evaluation import Hit

__all__ = ["Hit"]
