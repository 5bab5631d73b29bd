"""How a finding's data or service is reached: the resources behind it as a small graph.

For each finding the picture holds the internet, the resource whose setting opens the way
(labelled with that setting's source line), the resource exposed (the finding's subject),
the resources its evidence points at (found by the evidence's location) and the places
values came from (a ``terraform.tfvars`` line, a parameter default). Edges follow the way
in from the internet:

* between resources, the more specific control comes first: rules, policies and ACLs
  (``aws_vpc_security_group_ingress_rule``, a bucket policy, a public access block), then
  the groups they belong to (security groups, NSGs, NetworkPolicies), then what they guard
  (a database, a bucket, a Deployment); with equal standing, the referring resource first;
* the internet leads to every control nothing else leads to;
* a value flows (dashed) into the setting it decides.

Every node but the internet carries ``file:line``. ``linter/diagrams.py`` draws them.
"""

from __future__ import annotations

import bisect
import re

from msgspec import Struct, field

from linter.graph import Resource, ResourceGraph
from linter.model import Finding, Severity, Span
from linter.redact import redact
from linter.sources import source_lines

INTERNET = "internet"

# resource types that admit or deny (rank 0), that group such rules (rank 1); the rest are guarded (rank 2)
_RULE_LIKE = re.compile(
    r"(_rule$|_rules$|Ingress$|Egress$|IngressRule$|policy|Policy$|_acl$|ACL|public_access_block|PublicAccessBlock|"
    r"ownership_controls|_iam_|_member$|_binding$|Binding$|Permission$|permission$|firewall|Firewall|access_policy|"
    r"network_rules|authorizer)",
)
_GROUP_LIKE = re.compile(r"(security_group$|SecurityGroup$|network_security_group$|NetworkPolicy$|firewall_policy$)")


def rank(resource_type: str) -> int:
    if _GROUP_LIKE.search(resource_type):
        return 1
    if _RULE_LIKE.search(resource_type):
        return 0
    return 2


class Node(Struct):
    key: str  # INTERNET, a resource id, or "value:<file>:<line>"
    kind: str  # internet | resource | value
    title: str  # a resource's address
    type: str = ""  # a resource's type
    detail: str = ""  # the source line of the setting or value
    span: Span | None = None  # where that line is (a resource's header when no setting)
    severity: Severity | None = None  # of the findings whose setting is here
    rules: list[str] = field(default_factory=list)


class Edge(Struct, frozen=True):
    source: str
    target: str
    label: str = ""
    dashed: bool = False


class ExposureGraph(Struct):
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str], Edge] = field(default_factory=dict)

    def node(self, node: Node) -> Node:
        return self.nodes.setdefault(node.key, node)

    def edge(self, edge: Edge) -> None:
        key = (edge.source, edge.target)
        if key not in self.edges and (edge.target, edge.source) not in self.edges and edge.source != edge.target:
            self.edges[key] = edge


class Locator:
    """Which resource a location falls in (its whole definition), by file and line."""

    def __init__(self, graph: ResourceGraph) -> None:
        self.graph = graph
        self.by_file: dict[str, list[tuple[int, int, Resource]]] = {}
        for res in graph:
            s = res.block_span
            self.by_file.setdefault(s.file, []).append((s.line, s.end_line, res))
        for spans in self.by_file.values():
            spans.sort(key=lambda t: (t[0], -t[1]))
        self.starts = {f: [t[0] for t in spans] for f, spans in self.by_file.items()}

    def resource_at(self, span: Span) -> Resource | None:
        """The innermost definition holding ``span``'s line: of those starting at or before
        it, the nearest that has not ended."""
        spans = self.by_file.get(span.file)
        if not spans:
            return None
        for i in range(bisect.bisect_right(self.starts[span.file], span.line) - 1, -1, -1):
            start, end, res = spans[i]
            if start <= span.line <= end:
                return res
        return None


def _line_text(lines: list[str], line: int) -> str:
    text = " ".join(lines[line - 1].split()) if 0 < line <= len(lines) else ""
    return redact(text if len(text) <= 60 else text[:57] + "...")


def _connected(a: Resource, b: Resource) -> bool:
    return b.id in a.all_refs() or a.id in b.all_refs()


def _oriented(a: Resource, b: Resource) -> tuple[Resource, Resource]:
    """(from, to) in the direction the internet comes in."""
    ra, rb = rank(a.type), rank(b.type)
    if ra != rb:
        return (a, b) if ra < rb else (b, a)
    return (b, a) if a.id in b.all_refs() and b.id not in a.all_refs() else (a, b)


class ExposureBuilder:
    """Adds findings of one scan to a picture; :meth:`finish` connects the internet."""

    def __init__(self, graph: ResourceGraph, locator: Locator | None = None) -> None:
        self.graph = graph
        self.locator = locator or Locator(graph)
        self.picture = ExposureGraph()
        self._files: dict[str, list[str]] = {}  # each file read once per picture

    def _setting_line(self, span: Span) -> str:
        if span.file not in self._files:
            self._files[span.file] = source_lines(span.file)
        return _line_text(self._files[span.file], span.line)

    def add(self, f: Finding) -> None:
        picture = self.picture
        setting = self.graph.get(f.resource_id) if f.resource_id else None
        if setting is None:
            setting = self.locator.resource_at(f.span)
        key = setting.id if setting is not None else f"finding:{f.span.file}:{f.span.line}"
        node = picture.node(Node(key, "resource", setting.address if setting is not None else f.resource, setting.type if setting else ""))
        node.detail, node.span = self._setting_line(f.span), f.span  # the setting that opens the way
        if f.rule_id not in node.rules:
            node.rules.append(f.rule_id)
        node.severity = max(node.severity or f.severity, f.severity)
        if setting is None:
            return
        subject = self._subject(setting, f.subject)
        involved: dict[str, Resource] = {}
        labels: dict[str, str] = {}
        inside: dict[str, Span] = {}  # the line of a resource that the evidence points at
        if subject is not None and subject is not setting:
            involved[subject.id] = subject
        values = []
        for e in f.evidence:
            if e.span is None:
                continue
            res = self.locator.resource_at(e.span)
            if res is None:  # a value from a tfvars file, a variable, a local, a parameter
                values.append(e)
            elif res is not setting:
                involved.setdefault(res.id, res)
                labels.setdefault(res.id, _without(e.message, res.address))
                if e.span.line != res.span.line:
                    inside.setdefault(res.id, e.span)
        for e in values:
            assert e.span is not None
            value = picture.node(Node(f"value:{e.span.file}:{e.span.line}", "value", "value", detail=self._setting_line(e.span) or _short(e.message), span=e.span))
            # into the resource the evidence names (a tag raising the severity of the subject), else the setting
            target = next((r.id for r in involved.values() if _names(e.message, r.address)), key)
            picture.edge(Edge(value.key, target, "sets", dashed=True))
        for res in involved.values():
            at = inside.get(res.id)
            picture.node(Node(res.id, "resource", res.address, res.type, self._setting_line(at) if at else "", at or res.span))
            # joined to the setting, or else to the subject it is connected to
            anchor = setting
            if subject is not None and res is not subject and not _connected(res, setting) and _connected(res, subject):
                anchor = subject
            src, dst = _oriented(res, anchor)
            picture.edge(Edge(src.id, dst.id, _short(labels.get(res.id, ""))))

    def finish(self) -> ExposureGraph:
        """The internet leads to every finding's setting and every control that nothing
        else in the picture leads to."""
        picture = self.picture
        if not picture.nodes:
            return picture
        incoming = {e.target for e in picture.edges.values() if not e.dashed}
        entries = [
            n.key
            for n in picture.nodes.values()
            if n.kind == "resource" and n.key not in incoming and (n.rules or rank(n.type) < 2)
        ]
        internet = Node(INTERNET, "internet", "Internet")
        picture.nodes = {INTERNET: internet, **picture.nodes}
        for k in entries:
            picture.edge(Edge(INTERNET, k))
        return picture

    def _subject(self, setting: Resource, address: str) -> Resource | None:
        if not address or address == setting.address:
            return setting
        for res in self.graph.references(setting) + self.graph.referrers(setting):
            if res.address == address:
                return res
        return None


def _names(text: str, address: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(address)}(?![\w\[])", text) is not None


def _without(message: str, address: str) -> str:
    """An evidence message as an edge label: "aws_x.y sets a = b" from aws_x.y reads "sets a = b"."""
    return message[len(address) + 1 :] if message.startswith(address + " ") else message


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def exposure_graph(graph: ResourceGraph, findings: list[Finding], locator: Locator | None = None) -> ExposureGraph:
    """One picture for ``findings`` (resources they share appear once); pass the same
    ``locator`` when drawing many pictures of one graph."""
    builder = ExposureBuilder(graph, locator)
    for f in findings:
        builder.add(f)
    return builder.finish()
