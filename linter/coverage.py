"""The peer map: every check of the closest peer about public exposure, and what seawall does
about it — the rule(s) that report the same exposure, the posture rule(s) that report it as
one step away, or one line saying why no rule does.

One data file, ``linter/coverage.yaml`` (shipped in the wheel), is the single source: the
documentation page ``docs/coverage.md`` is generated from it (:func:`render`, through
``python -m linter.docs``), and ``seawall migrate`` turns the peer's suppressions into
seawall's through :func:`load` and :meth:`PeerMap.rules_for`. Peer titles are not copied:
each entry says in our own words what the peer's check looks at.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from typing import Any

import yaml
from msgspec import Struct, field

from linter.yamlsafe import SafeLoader

MAP_FILE = os.path.join(os.path.dirname(__file__), "coverage.yaml")
DOC = "docs/coverage.md"
KINDS = ("rules", "posture", "reason")

# sections of the page, by the peer id's prefix (first match)
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AWS", ("CKV_AWS_", "CKV2_AWS_")),
    ("Azure", ("CKV_AZURE_", "CKV2_AZURE_")),
    ("Google Cloud", ("CKV_GCP_", "CKV2_GCP_")),
    ("Kubernetes", ("CKV_K8S_", "CKV2_K8S_")),
    ("Other frameworks (Dockerfiles, secrets, OpenAPI, GitHub settings)", ("CKV_DOCKER_", "CKV2_DOCKER_", "CKV_SECRET_", "CKV_OPENAPI_", "CKV_GITHUB_")),
    ("Other Terraform providers", ("CKV",)),
)

CLOUDS = ("AWS", "Azure", "Google Cloud")


class CoverageError(Exception):
    """The map file is malformed; the message names the entry and the field."""


class PeerCheck(Struct, frozen=True):
    """One check of the peer and what seawall does about it."""

    id: str
    frameworks: tuple[str, ...]  # one item per row of the peer's listing
    about: str  # what it looks at, in our words
    kind: str  # "rules", "posture" or "reason"
    rules: tuple[str, ...] = ()  # for rules and posture
    reason: str = ""  # for reason
    note: str = ""

    @property
    def rows(self) -> int:
        return len(self.frameworks)

    @property
    def group(self) -> str:
        return group_of(self.id)

    @property
    def out_of_scope(self) -> bool:
        """A reason saying the check is outside what seawall reads (ARM/Bicep, Dockerfiles,
        secrets, settings read from an API)."""
        return self.kind == "reason" and self.reason.startswith("out of scope")


def group_of(peer_id: str) -> str:
    """The page section a peer id belongs to."""
    for name, prefixes in GROUPS:
        if peer_id.startswith(prefixes):
            return name
    return GROUPS[-1][0]


class PeerMap(Struct, frozen=True):
    peer: str
    checks: tuple[PeerCheck, ...]
    # other tools' ids for the same checks: a peer id of the map, or seawall rule ids
    equivalents: dict[str, str | tuple[str, ...]] = field(default_factory=dict)

    def get(self, peer_id: str) -> PeerCheck | None:
        return next((c for c in self.checks if c.id == peer_id), None)

    def resolve(self, any_id: str) -> PeerCheck | None:
        """The entry for a peer's id, or for another tool's id of the same check (tfsec,
        Trivy: ``equivalents``); None when the map has neither."""
        found = self.get(any_id)
        if found is not None:
            return found
        same = self.equivalents.get(any_id)
        if isinstance(same, str):
            return self.get(same)
        if same:
            return PeerCheck(any_id, ("equivalents",), f"{any_id}, an id of another tool", "rules", rules=same)
        return None

    def rules_for(self, peer_id: str) -> tuple[str, ...]:
        """The seawall rules that report what the peer's check reports (its posture rules
        too); empty when none does or the id is not in the map."""
        check = self.resolve(peer_id)
        return check.rules if check is not None else ()

    def rule_ids(self) -> set[str]:
        return {r for c in self.checks for r in c.rules}


def _entry(peer_id: str, data: Any) -> PeerCheck:
    where = f"{os.path.basename(MAP_FILE)}: {peer_id}"
    if not isinstance(data, dict):
        raise CoverageError(f"{where}: an entry is a mapping")
    unknown = set(data) - {"frameworks", "about", "note", *KINDS}
    if unknown:
        raise CoverageError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    frameworks = data.get("frameworks")
    if not isinstance(frameworks, list) or not frameworks or not all(isinstance(f, str) and f for f in frameworks):
        raise CoverageError(f"{where}: frameworks: a list with one item per row of the peer's listing")
    about = data.get("about")
    if not isinstance(about, str) or len(about.strip()) < 10:
        raise CoverageError(f"{where}: about: say what the check looks at")
    kinds = [k for k in KINDS if k in data]
    if len(kinds) != 1:
        raise CoverageError(f"{where}: exactly one of rules, posture, reason")
    kind = kinds[0]
    note = data.get("note", "")
    if not isinstance(note, str):
        raise CoverageError(f"{where}: note: one line of text")
    if kind == "reason":
        reason = data["reason"]
        if not isinstance(reason, str) or len(reason.strip()) < 10 or "\n" in reason.strip():
            raise CoverageError(f"{where}: reason: one line saying why no rule reports it")
        return PeerCheck(peer_id, tuple(frameworks), about.strip(), kind, reason=reason.strip(), note=note.strip())
    rules = data[kind]
    if not isinstance(rules, list) or not rules or not all(isinstance(r, str) and r for r in rules):
        raise CoverageError(f"{where}: {kind}: a list of seawall rule ids")
    return PeerCheck(peer_id, tuple(frameworks), about.strip(), kind, rules=tuple(rules), note=note.strip())


def parse(text: str) -> PeerMap:
    data = yaml.load(text, Loader=SafeLoader)
    if not isinstance(data, dict) or not isinstance(data.get("checks"), dict) or not isinstance(data.get("peer"), str):
        raise CoverageError(f"{os.path.basename(MAP_FILE)}: needs `peer` (a name) and `checks` (peer id -> entry)")
    return PeerMap(data["peer"], tuple(_entry(str(k), v) for k, v in data["checks"].items()), _equivalents(data.get("equivalents") or {}))


def _equivalents(data: Any) -> dict[str, str | tuple[str, ...]]:
    where = f"{os.path.basename(MAP_FILE)}: equivalents"
    if not isinstance(data, dict):
        raise CoverageError(f"{where}: a mapping of another tool's id to a peer id or a list of seawall rule ids")
    out: dict[str, str | tuple[str, ...]] = {}
    for key, value in data.items():
        if isinstance(value, str) and value:
            out[str(key)] = value
        elif isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            out[str(key)] = tuple(value)
        else:
            raise CoverageError(f"{where}: {key}: a peer id or a list of seawall rule ids")
    return out


@functools.lru_cache(maxsize=1)
def load() -> PeerMap:
    """The peer map shipped with seawall."""
    with open(MAP_FILE, encoding="utf-8") as fh:
        return parse(fh.read())


# --------------------------------------------------------------------------- figures and the page


class Figures(Struct):
    rows: int = 0
    rules: int = 0
    posture: int = 0
    reason: int = 0

    def add(self, check: PeerCheck) -> None:
        self.rows += check.rows
        setattr(self, check.kind, getattr(self, check.kind) + check.rows)

    @property
    def covered(self) -> int:
        return self.rules + self.posture

    def share(self) -> str:
        return f"{100 * self.covered / self.rows:.0f}%" if self.rows else "-"


def figures(checks: Iterable[PeerCheck]) -> dict[str, Figures]:
    """Rows by page section, for the three clouds together (``"clouds"``) and for ``"all"``."""
    out: dict[str, Figures] = {name: Figures() for name, _ in GROUPS}
    out["clouds"] = Figures()
    out["all"] = Figures()
    out["in scope"] = Figures()
    for check in checks:
        out[check.group].add(check)
        out["all"].add(check)
        if check.group in CLOUDS:
            out["clouds"].add(check)
        if not check.out_of_scope:
            out["in scope"].add(check)
    return out


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _seawall(check: PeerCheck, titles: dict[str, str]) -> str:
    if check.kind == "reason":
        return _cell(check.reason)
    listed = ", ".join(f"`{r}`" for r in check.rules)
    text = f"posture: {listed}" if check.kind == "posture" else listed
    if len(check.rules) == 1 and check.rules[0] in titles:
        text += f" — {_cell(titles[check.rules[0]])}"
    if check.note:
        text += f" ({_cell(check.note)})"
    return text


def render(peer_map: PeerMap, titles: dict[str, str]) -> str:
    """The page ``docs/coverage.md``; ``titles`` maps seawall rule ids to their titles."""
    counts = figures(peer_map.checks)
    total = counts["all"]
    lines = [
        "# Coverage of the closest peer's exposure checks",
        "",
        "<!-- Generated by `python -m linter.docs` from linter/coverage.yaml: edit that file, not this page. -->",
        "",
        f"Every check of {peer_map.peer} whose subject is public exposure (selected from its",
        "`checkov --list` by the words of its titles: public, 0.0.0.0, internet, anonymous, ingress,",
        "network access...), and what seawall does about it: the rule(s) that report the same",
        "exposure, the posture rule(s) that report it as one step away (a guard turned off), or why",
        "no rule does. A check listed once per framework counts once per framework, as in the",
        "peer's listing. What each check looks at is said in our own words.",
        "",
        "`seawall migrate` reads the same map to turn the peer's suppressions into seawall's.",
        "",
        "| section | rows | rule | posture | covered | reason given |",
        "|---|---|---|---|---|---|",
    ]
    for name, _ in GROUPS:
        f = counts[name]
        if f.rows:
            lines.append(f"| {name} | {f.rows} | {f.rules} | {f.posture} | {f.share()} | {f.reason} |")
    clouds = counts["clouds"]
    lines.append(f"| AWS, Azure and Google Cloud | {clouds.rows} | {clouds.rules} | {clouds.posture} | {clouds.share()} | {clouds.reason} |")
    lines.append(f"| **all** | {total.rows} | {total.rules} | {total.posture} | {total.share()} | {total.reason} |")
    scope = counts["in scope"]
    lines.append(f"| **in scope** (all but the {total.rows - scope.rows} rows out of scope) | {scope.rows} | {scope.rules} | {scope.posture} | {scope.share()} | {scope.reason} |")
    for name, _ in GROUPS:
        checks = [c for c in peer_map.checks if c.group == name]
        if not checks:
            continue
        lines += ["", f"## {name}", "", "| peer check | frameworks | what it looks at | seawall |", "|---|---|---|---|"]
        for check in checks:
            frameworks = ", ".join(check.frameworks[0].split(",")) if check.rows == 1 else " / ".join(check.frameworks) + " (one row each)"
            lines.append(f"| {check.id} | {_cell(frameworks)} | {_cell(check.about)} | {_seawall(check, titles)} |")
    return "\n".join(lines) + "\n"


def page(rules: Iterable[Any]) -> str:
    """The page for a rule set (objects with ``id`` and ``title``)."""
    return render(load(), {r.id: r.title for r in rules})


__all__ = ["DOC", "CoverageError", "Figures", "PeerCheck", "PeerMap", "figures", "group_of", "load", "page", "parse", "render"]
