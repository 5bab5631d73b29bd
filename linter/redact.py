"""Values that look like secrets are never printed in full.

Evidence quotes values ("var.db_password = ..."), and a scanner's output ends up in CI logs,
pull-request comments and code-scanning alerts. Every message seawall emits passes through
:func:`redact`: well-known credential formats are masked wherever they appear, and the
value of anything whose name says it is a secret is masked too.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKENS = [
    re.compile(r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b"),  # AWS key ids
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),  # GitHub tokens
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),  # Slack
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),  # Google API keys
    re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{20,}\b"),  # Stripe
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),  # JWT
    re.compile(r"(?i)\b(?:AccountKey|SharedAccessKey|sig|password|pwd)=[^;\"'\s&]{6,}"),  # connection strings, SAS
    re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@]+:([^/\s@]{3,})@"),  # credentials in URLs
]
_SECRET_NAME = r"[\w.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|private[_-]?key|access[_-]?key|credential|auth[_-]?key|client[_-]?secret)[\w.-]*"
# `var.db_password = "hunter2"`, `parameter DbPassword = "x"`, `local.api_token = "x"`
_NAMED = re.compile(rf"(?i)((?:var|local)\.{_SECRET_NAME}|parameter {_SECRET_NAME})\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^\s,)\]]+)")

MASK = "********"


def _mask_token(m: re.Match[str]) -> str:
    text = m.group(0)
    if m.re.pattern.startswith("(?i)\\b[a-z]"):  # a URL: keep the scheme and user, hide the password
        return text[: m.start(1) - m.start(0)] + MASK + "@"
    if "=" in text and not text.startswith("-----"):
        key, _, _ = text.partition("=")
        return f"{key}={MASK}"
    return text[:4] + "…" + MASK if len(text) > 8 else MASK


@lru_cache(maxsize=8192)  # the same evidence line is redacted for the engine and for every report
def redact(text: str) -> str:
    if not text:
        return text
    for pattern in _TOKENS:
        text = pattern.sub(_mask_token, text)
    return _NAMED.sub(lambda m: f"{m.group(1)} = {MASK}" if m.group(2) != MASK else m.group(0), text)
