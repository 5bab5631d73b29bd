"""The resource graph: every resource of every format, with references between them.

Parsers produce :class:`Resource` objects; the graph indexes them by type and by id and
keeps reference edges both ways, built from each resource's ``refs`` through an id index
(linear in the number of references, never resources x resources).

Resources also find each other by *name* (``bucket = "my-bucket"``, ``server_name =
"sql-main"``, a literal resource ID or ARN). :meth:`ResourceGraph.linked` answers "which
resources of these types does this setting point at" by reference first and by name
second, and :meth:`ResourceGraph.linked_from` the reverse question; both go through
indexes built once per graph, so linking N resources costs N lookups, not N x M.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from msgspec import Struct, field

from linter.model import Evidence, Path, Span
from linter.values import JsonString, PDict, Unknown


class Case(NamedTuple):
    """The assumption a resource was built under, when its template leaves conditions
    undecided (CloudFormation conditions on parameters without a value): which conditions
    were taken as true or false, out of how many cases the template was evaluated in."""

    assumptions: tuple[tuple[str, bool], ...]
    of: int

    def describe(self) -> str:
        return " and ".join(f"{what} is {'true' if value else 'false'}" for what, value in sorted(self.assumptions))


class Resource(Struct, eq=False, weakref=True):  # weakref: tests watch a unit's resources be freed
    """One resource of any format: its attributes with positions, and what it refers to."""

    id: str  # unique in a scan: "<root>::<address>"
    address: str  # what users see: aws_s3_bucket.data, module.x.aws_s3_bucket.y["k"], Deployment/web
    type: str  # aws_s3_bucket, AWS::S3::Bucket, Deployment
    format: str  # terraform | terraform-plan | cloudformation | kubernetes
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
    # the undecided-condition case this resource was built in (CloudFormation), if any
    case: Case | None = None
    # other names the graph indexes it under, besides its type (a Kubernetes object that
    # carries a pod template is also a "workload", whatever its kind)
    roles: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        return self.span.file

    @property
    def root(self) -> str:
        """The configuration the resource belongs to (a Terraform root, a template, a folder)."""
        return self.id.split("::", 1)[0]

    def all_refs(self) -> frozenset[str]:
        out: set[str] = set()
        for ids in self.refs.values():
            out |= ids
        return frozenset(out)

    def get(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)

    def setting_path(self, name: str) -> Path:
        """Where this resource's format writes the setting ``name`` (see linter/settings.py)."""
        from linter.settings import setting_path

        return setting_path(self, name)

    def setting(self, name: str) -> Any:
        """The value of the setting ``name`` whatever the format; None when it is not written."""
        from linter.locate import value_at

        return value_at(self.attrs, self.setting_path(name))

    def __repr__(self) -> str:
        return f"Resource({self.address!r}, {self.type!r})"


def ref_ids(value: Any, _depth: int = 0) -> set[str]:
    """Ids of the resources a value stands for (an ``Unknown.ref`` anywhere inside it)."""
    out: set[str] = set()
    if _depth > 32:
        return out
    if isinstance(value, Unknown):
        if value.ref:
            out.add(value.ref)
    elif isinstance(value, JsonString):
        out |= ref_ids(value.decoded, _depth + 1)
    elif isinstance(value, dict):
        for v in value.values():
            out |= ref_ids(v, _depth + 1)
    elif isinstance(value, list):
        for v in value:
            out |= ref_ids(v, _depth + 1)
    return out


def name_keys(value: Any) -> tuple[str, ...]:
    """The names a literal link value can mean: itself, and the last segment of a resource
    ID (``.../servers/sql-main``) or an ARN (``arn:aws:s3:::my-bucket``)."""
    if not isinstance(value, str) or isinstance(value, JsonString):
        return ()
    text = value.strip()
    if not text:
        return ()
    keys = [text]
    for sep in ("/", ":"):
        last = text.rstrip(sep).rsplit(sep, 1)[-1]
        if last and last not in keys:
            keys.append(last)
    return tuple(keys)


class ResourceGraph:
    def __init__(self, resources: Iterable[Resource] = ()) -> None:
        self.resources: list[Resource] = []
        self.by_id: dict[str, Resource] = {}
        self.by_type: dict[str, list[Resource]] = {}
        self._referrers: dict[str, list[tuple[str, Resource]]] = {}
        self._names: dict[tuple[str, str], dict[tuple[str, str], list[Resource]]] = {}
        self._memo: dict[Any, Any] = {}
        # candidate resources examined by name lookups (a guard test counts them)
        self.lookups = 0
        for res in resources:
            self.add(res)

    def release(self) -> None:
        """Drop what the graph holds (the checks' memos refer back to it), once the unit is
        judged, so its objects are freed without the cyclic collector."""
        self._memo.clear()
        self._referrers.clear()
        self._names.clear()
        self.by_type.clear()
        self.by_id.clear()
        self.resources = []

    def add(self, res: Resource) -> None:
        if res.id in self.by_id:
            return
        self.resources.append(res)
        self.by_id[res.id] = res
        self.by_type.setdefault(res.type, []).append(res)
        for role in res.roles:
            self.by_type.setdefault(role, []).append(res)
        for attr, ids in res.refs.items():
            for target in ids:
                self._referrers.setdefault(target, []).append((attr, res))
        self._names.clear()
        self._memo.clear()

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

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per graph for ``key``: what a check derives from the whole graph
        (a security group's rules, a server's firewall) is built once, not once per resource."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute()
            return value

    def in_configuration(self, root: str, types: Iterable[str]) -> list[Resource]:
        """Resources of ``types`` in the configuration ``root`` (an account-level setting that
        no link ties to what it governs), through one index per graph and types."""
        wanted = tuple(types)

        def index() -> dict[str, list[Resource]]:
            out: dict[str, list[Resource]] = {}
            for res in self.of_type(*wanted):
                out.setdefault(res.root, []).append(res)
            return out

        self.lookups += 1
        return list(self.memo(("in_configuration", wanted), index).get(root, ()))

    def references(self, res: Resource, attr: str | None = None, types: Iterable[str] | None = None) -> list[Resource]:
        """Resources that ``res`` refers to (through ``attr`` only, when given), of ``types``
        (by type or by role) when given."""
        ids = res.refs.get(attr, frozenset()) if attr is not None else res.all_refs()
        wanted = set(types) if types is not None else None
        out = []
        for target in sorted(ids):
            found = self.by_id.get(target)
            if found is not None and (wanted is None or _is_a(found, wanted)):
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
            if wanted is not None and not _is_a(src, wanted):
                continue
            if src.id not in seen:
                seen.add(src.id)
                out.append(src)
        return out

    # ------------------------------------------------------------------ links by reference or name

    def _name_index(self, rtype: str, name_setting: str) -> dict[tuple[str, str], list[Resource]]:
        """(root, name) -> resources of ``rtype`` whose ``name_setting`` is that literal name."""
        key = (rtype, name_setting)
        index = self._names.get(key)
        if index is None:
            index = {}
            for res in self.by_type.get(rtype, ()):
                value = res.setting(name_setting)
                if isinstance(value, str) and value.strip():
                    index.setdefault((res.root, value.strip()), []).append(res)
            self._names[key] = index
        return index

    def linked(self, res: Resource, setting: str, types: Iterable[str], by_name: bool = True, name_setting: str = "name") -> list[Resource]:
        """The resources of ``types`` that ``res``'s ``setting`` points at.

        By reference first: a value standing for another resource's attribute names the
        exact instance (``aws_subnet.public[1].id``, ``!Ref Subnet``), else the setting's
        reference edges. With ``by_name``, a literal value is matched against the
        ``name_setting`` of resources of ``types`` in the same configuration (the value
        itself, or the last segment of an ID or ARN). ``[*]`` in ``setting`` stands for
        every element of a list (``network_interfaces[*].subnet_id``)."""
        if "[*]" in setting:
            from linter.settings import setting_values

            out: list[Resource] = []
            for path, _ in setting_values(res, setting):
                out.extend(r for r in self.linked_at(res, path, types, by_name, name_setting) if r not in out)
            return out
        return self.linked_at(res, res.setting_path(setting), types, by_name, name_setting)

    def linked_at(self, res: Resource, path: Path, types: Iterable[str], by_name: bool = True, name_setting: str = "name") -> list[Resource]:
        """:meth:`linked` for the value at one concrete ``path`` of ``res``."""
        wanted = tuple(types)
        from linter.locate import value_at

        value = value_at(res.attrs, path)
        if value is None:
            return []
        ids = ref_ids(value)
        if ids:
            return [r for r in (self.by_id.get(i) for i in sorted(ids)) if r is not None and r.type in wanted]
        edge_attr = str(path[1] if len(path) > 1 and path[0] == "Properties" else path[0]) if path else ""
        found = self.references(res, edge_attr, wanted) if edge_attr else []
        if found:
            if isinstance(value, str) and not isinstance(value, JsonString) and len(found) > 1:
                # a known attribute (a name) of one of several referenced resources: keep the one it names
                return [r for r in found if value in _own_strings(r)]
            return found
        if not by_name:
            return []
        out: list[Resource] = []
        values = value if isinstance(value, list) else [value]
        for item in values:
            for key in name_keys(item):
                for rtype in wanted:
                    self.lookups += 1
                    for match in self._name_index(rtype, name_setting).get((res.root, key), ()):
                        if match not in out:
                            out.append(match)
                if out:
                    break
        return out

    def linked_from(self, target: Resource, types: Iterable[str], setting: str, name_setting: str = "name") -> list[Resource]:
        """The resources of ``types`` whose ``setting`` points at ``target`` (by reference or
        by name): the reverse of :meth:`linked`, through one index per (types, setting)."""
        wanted = tuple(types)
        index = self.memo(("linked_from", wanted, setting, target.type, name_setting), lambda: self._links_to(wanted, setting, target.type, name_setting))
        self.lookups += 1
        return list(index.get(target.id, ()))

    def _links_to(self, types: tuple[str, ...], setting: str, target_type: str, name_setting: str) -> dict[str, list[Resource]]:
        index: dict[str, list[Resource]] = {}
        for res in self.of_type(*types):
            for found in self.linked(res, setting, (target_type,), name_setting=name_setting):
                bucket = index.setdefault(found.id, [])
                if res not in bucket:
                    bucket.append(res)
        return index

    def edge_count(self) -> int:
        return sum(len(v) for v in self._referrers.values())


def _is_a(res: Resource, types: set[str]) -> bool:
    """Whether a resource is of one of ``types``, by its type or a role it is indexed under
    (a Kubernetes object carrying a pod template is a ``workload``)."""
    return res.type in types or any(role in types for role in res.roles)


def _own_strings(res: Resource) -> set[str]:
    """Literal top-level strings of a resource (its names), to recognise a value taken from it."""
    attrs = res.attrs.get("Properties") if res.format == "cloudformation" else res.attrs
    if not isinstance(attrs, dict):
        return set()
    return {v for v in attrs.values() if isinstance(v, str)}
