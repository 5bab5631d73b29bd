"""One module decides what does not count, and why.

Issue-5 part: **intended exposure**. A resource that is public by design (a website
bucket, a public API) is declared so with a tag, label or annotation whose value is the
reason: ``seawall:public`` (AWS tags, CloudFormation ``Tags``), ``seawall-public`` (labels
that allow no colon, such as Google Cloud's), ``seawall.dev/public`` (a Kubernetes
annotation), or CloudFormation ``Metadata: {seawall: {public: <reason>}}``. Its findings
become visible, reasoned acceptances instead of failures; a declaration without a reason
does not count, and the finding says so.
"""

from __future__ import annotations

from linter.graph import Resource
from linter.model import Evidence, Suppression
from linter.tags import resource_tags

INTENT_KEYS = ("seawall:public", "seawall-public", "seawall_public", "seawall.dev/public")
_NO_REASON = ("", "true", "yes", "1", "public")


def intended_exposure(res: Resource) -> Suppression | Evidence | None:
    """The declaration that ``res`` is public by design: a Suppression when it gives a
    reason, an Evidence explaining why it does not count when it gives none, else None."""
    tags = resource_tags(res)
    for key in INTENT_KEYS:
        if key in tags:
            value, span = tags[key]
            break
    else:
        meta = tags.get("seawall")
        if meta is None or not isinstance(meta[0], dict) or "public" not in meta[0]:
            return None
        value, span = meta[0]["public"], meta[1]
        key = "Metadata seawall.public"
    reason = str(value).strip() if value is not None else ""
    if reason.lower() in _NO_REASON:
        return Evidence(f"{res.address} is declared public by design ({key}) but gives no reason; write why as its value", span)
    return Suppression("intended", reason.replace("_", " ").replace("-", " ") if key == "seawall-public" else reason, span)
