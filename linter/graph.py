"""The resource graph: every resource of every format, with references between them.

Parsers produce :class:`Resource` objects; the graph indexes them by type and by id and
keeps reference edges both ways, built from each resource's ``refs`` through an id index
(linear in the number of references, never resources x resources).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from linter.model import Evidence, Path, Span
from linter.values import PDict


@dataclass(eq=False)
class Resource:
    id: str  # unique in a scan: "<root>::<address>"
    address: str  # what users see: aws_s3_bucket.data, module.x.aws_s3_bucket.y["k"], Deployment/web
    type: str  # aws_s3_bucket, AWS::S3::Bucket, Deployment
    format: str  # terraform | cloudformation | kubernetes
    attrs: PDict
    span: Span  # the header, where a finding about the resource as a whole is shown
    block_span: Span  # the whole definition
    # attribute name -> ids of resources it refers to ("" for references of the whole body)
    refs: dict[str, frozenset[str]] = field(default_factory=dict)
    # module call chain, outermost first, for findings inside modules
    call_chain: tuple[Evidence, ...] = ()
    # where the values of an attribute path came from (variables, tfvars, parameters)
    origins: Callable[[Path], list[Evidence]] | None = None
    # every file that decides the value at a path (origins followed to the end, count and
    # for_each): a finding is reported when one of them is named
    chain: Callable[[Path], set[str]] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.span.file

    def all_refs(self) -> frozenset[str]:
        out: set[str] = set()
        for ids in self.refs.values():
            out |= ids
        return frozenset(out)

    def get(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)

    def __repr__(self) -> str:
        return f"Resource({self.address!r}, {self.type!r})"


class ResourceGraph:
    def __init__(self, resources: Iterable[Resource] = ()) -> None:
        self.resources: list[Resource] = []
        self.by_id: dict[str, Resource] = {}
        self.by_type: dict[str, list[Resource]] = {}
        self._referrers: dict[str, list[tuple[str, Resource]]] = {}
        for res in resources:
            self.add(res)

    def add(self, res: Resource) -> None:
        if res.id in self.by_id:
            return
        self.resources.append(res)
        self.by_id[res.id] = res
        self.by_type.setdefault(res.type, []).append(res)
        for attr, ids in res.refs.items():
            for target in ids:
                self._referrers.setdefault(target, []).append((attr, res))

    def __len__(self) -> int:
        return len(self.resources)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def of_type(self, *types: str) -> list[Resource]:
        if len(types) == 1:
            return list(self.by_type.get(types[0], ()))
        out: list[Resource] = []
        for t in types:
            out.extend(self.by_type.get(t, ()))
        return out

    def get(self, res_id: str) -> Resource | None:
        return self.by_id.get(res_id)

    def references(self, res: Resource, attr: str | None = None, types: Iterable[str] | None = None) -> list[Resource]:
        """Resources that ``res`` refers to (through ``attr`` only, when given)."""
        ids = res.refs.get(attr, frozenset()) if attr is not None else res.all_refs()
        wanted = set(types) if types is not None else None
        out = []
        for target in sorted(ids):
            found = self.by_id.get(target)
            if found is not None and (wanted is None or found.type in wanted):
                out.append(found)
        return out

    def referrers(self, res: Resource, types: Iterable[str] | None = None, attr: str | None = None) -> list[Resource]:
        """Resources that refer to ``res`` (through their ``attr`` only, when given)."""
        wanted = set(types) if types is not None else None
        seen: set[str] = set()
        out = []
        for via, src in self._referrers.get(res.id, ()):
            if attr is not None and via != attr:
                continue
            if wanted is not None and src.type not in wanted:
                continue
            if src.id not in seen:
                seen.add(src.id)
                out.append(src)
        return out

    def edge_count(self) -> int:
        return sum(len(v) for v in self._referrers.values())
