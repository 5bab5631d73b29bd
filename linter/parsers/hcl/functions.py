"""Terraform's built-in functions, on plain Python values.

Each function takes already-evaluated arguments. The evaluator turns any argument that is
Unknown at the top level into an Unknown result before calling (Terraform does the same),
so functions only see known top-level values; Unknowns nested inside lists and maps pass
through untouched. A function that fails raises :class:`FunctionError`, which the
evaluator turns into an evaluation error value (what ``try``/``can`` look at).

Functions that would read the world (``timestamp``, ``uuid``, ``file`` outside the scanned
tree…) return Unknown or are refused; nothing here runs code or touches the network.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import re
from collections.abc import Callable
from typing import Any

from linter.values import MAX_NODES, JsonString, SourcedText, Unknown, contains_unknown, expanded_size, hcl_equal, is_number, plain_data, type_name

MAX_COLLECTION = 10_000  # a bound on what one function may build (range, chunklist…)


class FunctionError(Exception):
    pass


# --------------------------------------------------------------------------- conversions


def to_number(v: Any) -> int | float:
    if is_number(v):
        return v
    if isinstance(v, str):
        text = v.strip()
        try:
            return int(text)
        except ValueError:
            try:
                f = float(text)
            except ValueError:
                raise FunctionError(f"cannot convert {v!r} to a number") from None
            return int(f) if f.is_integer() and "e" not in text.lower() and "." not in text else f
    raise FunctionError(f"a number is required, got {type_name(v)}")


def to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if v == "true":
        return True
    if v == "false":
        return False
    raise FunctionError(f"a bool is required, got {type_name(v)}")


def number_text(v: int | float) -> str:
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    return str(v)


def to_string(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if is_number(v):
        return number_text(v)
    if v is None:
        raise FunctionError("a null value cannot be used as a string")
    raise FunctionError(f"a string is required, got {type_name(v)}")


def _list(v: Any, what: str = "list") -> list[Any]:
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, (set, frozenset)):
        return sorted(v, key=_sort_key)
    raise FunctionError(f"a {what} is required, got {type_name(v)}")


def _map(v: Any) -> dict[str, Any]:
    if isinstance(v, dict):
        return v
    raise FunctionError(f"a map is required, got {type_name(v)}")


def _sort_key(v: Any) -> tuple[int, Any]:
    if is_number(v):
        return (0, v)
    if isinstance(v, str):
        return (1, v)
    return (2, json.dumps(v, sort_keys=True, default=str))


def _unique(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if not any(hcl_equal(item, seen) for seen in out):
            out.append(item)
    return out


def _bounded(items: list[Any]) -> list[Any]:
    if len(items) > MAX_COLLECTION:
        raise FunctionError(f"result would have {len(items)} elements (limit {MAX_COLLECTION})")
    return items


# --------------------------------------------------------------------------- encoding


def _json_text(v: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, Unknown) or hasattr(o, "materialize"):  # unknown values, whole resources
            return "${unknown}"
        raise TypeError(type(o).__name__)

    return json.dumps(v, separators=(",", ":"), default=default, ensure_ascii=False)


def f_jsonencode(v: Any) -> str:
    if expanded_size(v) > MAX_NODES:
        raise FunctionError(f"value too large to encode (over {MAX_NODES:,} elements)")
    text = _json_text(v)
    return JsonString(text, v) if contains_unknown(v) or isinstance(v, (dict, list)) else text


def f_jsondecode(s: Any) -> Any:
    if isinstance(s, JsonString):
        return s.decoded
    try:
        return json.loads(to_string(s))
    except ValueError as exc:
        raise FunctionError(f"invalid JSON: {exc}") from None


def f_yamldecode(s: Any) -> Any:
    import yaml

    from linter.yamlsafe import load_yaml_bounded

    try:
        return load_yaml_bounded(to_string(s))
    except yaml.YAMLError as exc:
        raise FunctionError(f"invalid YAML: {exc}") from None


def f_yamlencode(v: Any) -> str:
    import yaml

    if contains_unknown(v):
        raise FunctionError("value not known")
    text = str(yaml.safe_dump(plain_data(v), sort_keys=False))
    return SourcedText(text, decoded=v) if isinstance(v, (dict, list)) else text


def f_base64encode(s: Any) -> str:
    return base64.b64encode(to_string(s).encode()).decode()


def f_base64decode(s: Any) -> str:
    try:
        return base64.b64decode(to_string(s)).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise FunctionError(f"invalid base64: {exc}") from None


def f_urlencode(s: Any) -> str:
    from urllib.parse import quote

    return quote(to_string(s), safe="")


def _hash(name: str) -> Callable[[Any], str]:
    def fn(s: Any) -> str:
        return hashlib.new(name, to_string(s).encode()).hexdigest()

    return fn


# --------------------------------------------------------------------------- strings


_FORMAT_VERB = re.compile(r"%(?:(%)|([-+ #0]*)(\d+|\*)?(?:\.(\d+))?([sdvqtfeEgGxXob]))")


def f_format(fmt: Any, *args: Any) -> str:
    text = to_string(fmt)
    arg_iter = iter(args)

    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return "%"
        flags, width, precision, verb = m.group(2) or "", m.group(3), m.group(4), m.group(5)
        try:
            value = next(arg_iter)
        except StopIteration:
            raise FunctionError("not enough arguments for format string") from None
        if isinstance(value, Unknown):
            raise _UnknownArg(value)
        if verb in "sv":
            out = to_string(value) if not isinstance(value, (dict, list)) else _json_text(value)
        elif verb == "q":
            out = json.dumps(to_string(value))
        elif verb == "t":
            out = "true" if to_bool(value) else "false"
        elif verb == "d":
            out = str(int(to_number(value)))
        elif verb in "xXob":
            n = int(to_number(value))
            out = format(n, {"x": "x", "X": "X", "o": "o", "b": "b"}[verb])
        else:  # f e E g G
            x = float(to_number(value))
            out = format(x, f".{precision or 6}{verb}")
        if width and width != "*":
            w = int(width)
            out = out.ljust(w) if "-" in flags else out.rjust(w, "0" if "0" in flags and verb not in "sqv" else " ")
        return out

    return _FORMAT_VERB.sub(sub, text)


class _UnknownArg(Exception):
    def __init__(self, value: Unknown) -> None:
        self.value = value


def f_formatlist(fmt: Any, *args: Any) -> list[str]:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise FunctionError("all list arguments must have the same length")
    n = lengths.pop() if lengths else 1
    return [f_format(fmt, *[(a[i] if isinstance(a, list) else a) for a in args]) for i in range(n)]


def f_join(sep: Any, *lists: Any) -> str:
    items: list[Any] = []
    for lst in lists:
        items.extend(_list(lst))
    for item in items:
        if isinstance(item, Unknown):
            raise _UnknownArg(item)
    return to_string(sep).join(to_string(i) for i in items)


def f_split(sep: Any, s: Any) -> list[str]:
    text = to_string(s)
    if text == "":
        return []
    return text.split(to_string(sep))


def _replace_text(text: str, pattern: str, replacement: str) -> str:
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        from linter.saferegex import safe_sub

        # Terraform uses $1 for groups, Python \1
        py_repl = re.sub(r"\$\{?(\d+)\}?", r"\\g<\1>", replacement.replace("\\", "\\\\"))
        return safe_sub(pattern[1:-1], py_repl, text)
    return text.replace(pattern, replacement)


def _matches(text: str, pattern: str) -> bool:
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        from linter.saferegex import safe_search

        return safe_search(pattern[1:-1], text) is not None
    return pattern in text


def _map_strings(value: Any, fn: Callable[[str], Any]) -> Any:
    """Apply ``fn`` to every string inside a (positioned) structure, in place."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        for k in list(value):
            value[k] = _map_strings(value[k], fn)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = _map_strings(item, fn)
    return value


def f_replace(s: Any, search: Any, repl: Any) -> Any:
    """replace(); on a JSON document it also rewrites the decoded structure, so a policy keeps
    its shape and positions, and an unknown replacement only makes the affected values unknown."""
    import copy

    if isinstance(s, Unknown):
        return s
    if isinstance(search, Unknown):
        return search
    text, pattern = to_string(s), to_string(search)
    if isinstance(repl, Unknown):
        if not _matches(text, pattern):
            return s  # nothing to replace: the value does not depend on the unknown
        if isinstance(s, JsonString):
            decoded = _map_strings(copy.deepcopy(s.decoded), lambda v: repl if _matches(v, pattern) else v)
            return JsonString(_replace_text(text, pattern, "${unknown}"), decoded)
        return repl
    replacement = to_string(repl)
    out = _replace_text(text, pattern, replacement)
    if isinstance(s, JsonString):
        decoded = _map_strings(copy.deepcopy(s.decoded), lambda v: _replace_text(v, pattern, replacement))
        return JsonString(out, decoded)
    return out


def f_regex(pattern: Any, s: Any) -> Any:
    from linter.saferegex import safe_search

    m = safe_search(to_string(pattern), to_string(s))
    if m is None:
        raise FunctionError("pattern did not match")
    if m.re.groupindex:
        return {name: m.group(name) for name in m.re.groupindex}
    if m.re.groups:
        return list(m.groups())
    return m.group(0)


def f_regexall(pattern: Any, s: Any) -> list[Any]:
    from linter.saferegex import safe_finditer

    out: list[Any] = []
    for m in safe_finditer(to_string(pattern), to_string(s)):
        if m.re.groupindex:
            out.append({name: m.group(name) for name in m.re.groupindex})
        elif m.re.groups:
            out.append(list(m.groups()))
        else:
            out.append(m.group(0))
    return _bounded(out)


def f_substr(s: Any, offset: Any, length: Any) -> str:
    text = to_string(s)
    start = int(to_number(offset))
    n = int(to_number(length))
    if start < 0:
        start = max(len(text) + start, 0)
    return text[start:] if n == -1 else text[start : start + n]


def f_trim(s: Any, chars: Any) -> str:
    return to_string(s).strip(to_string(chars))


def f_trimprefix(s: Any, prefix: Any) -> str:
    text, p = to_string(s), to_string(prefix)
    return text[len(p) :] if p and text.startswith(p) else text


def f_trimsuffix(s: Any, suffix: Any) -> str:
    text, p = to_string(s), to_string(suffix)
    return text[: -len(p)] if p and text.endswith(p) else text


def f_title(s: Any) -> str:
    return re.sub(r"\b([a-z])", lambda m: m.group(1).upper(), to_string(s))


def f_indent(n: Any, s: Any) -> str:
    pad = " " * int(to_number(n))
    return to_string(s).replace("\n", "\n" + pad)


# --------------------------------------------------------------------------- collections


def f_length(v: Any) -> int:
    if isinstance(v, str):
        return len(v)
    if isinstance(v, (list, tuple, dict)):
        return len(v)
    raise FunctionError(f"length() needs a collection or string, got {type_name(v)}")


def f_concat(*lists: Any) -> list[Any]:
    out: list[Any] = []
    for lst in lists:
        out.extend(_list(lst))
    return _bounded(out)


def f_merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        out.update(_map(m))
    return out


def f_lookup(m: Any, key: Any, *default: Any) -> Any:
    mapping = _map(m)
    k = to_string(key)
    if k in mapping:
        return mapping[k]
    if default:
        return default[0]
    raise FunctionError(f"no key {k!r} in map")


def f_element(lst: Any, index: Any) -> Any:
    items = _list(lst)
    if not items:
        raise FunctionError("element() on an empty list")
    return items[int(to_number(index)) % len(items)]


def f_index(lst: Any, value: Any) -> int:
    for i, item in enumerate(_list(lst)):
        if hcl_equal(item, value):
            return i
    raise FunctionError("value not in list")


def f_flatten(v: Any) -> list[Any]:
    out: list[Any] = []

    def walk(x: Any, depth: int) -> None:
        if depth > 64:
            raise FunctionError("list nested too deeply")
        for item in x:
            if isinstance(item, (list, tuple)):
                walk(item, depth + 1)
            else:
                out.append(item)

    walk(_list(v), 0)
    return _bounded(out)


def f_keys(m: Any) -> list[str]:
    return sorted(_map(m).keys())


def f_values(m: Any) -> list[Any]:
    mapping = _map(m)
    return [mapping[k] for k in sorted(mapping.keys())]


def f_zipmap(keys: Any, values: Any) -> dict[str, Any]:
    ks, vs = _list(keys), _list(values)
    if len(ks) != len(vs):
        raise FunctionError("zipmap() needs lists of the same length")
    for k in ks:
        if isinstance(k, Unknown):
            raise _UnknownArg(k)
    return {to_string(k): v for k, v in zip(ks, vs)}


def f_contains(lst: Any, value: Any) -> Any:
    items = _list(lst)
    if any(hcl_equal(i, value) for i in items if not isinstance(i, Unknown)):
        return True
    unknown = next((i for i in items if isinstance(i, Unknown)), None)
    if unknown is not None:
        return unknown
    return False


def f_distinct(lst: Any) -> list[Any]:
    return _unique(_list(lst))


def f_compact(lst: Any) -> list[Any]:
    return [i for i in _list(lst) if i is not None and i != ""]


def f_coalesce(*args: Any) -> Any:
    for a in args:
        if isinstance(a, Unknown):
            return a
        if a is not None and a != "":
            return a
    raise FunctionError("no non-null, non-empty argument")


def f_coalescelist(*args: Any) -> Any:
    for a in args:
        if isinstance(a, Unknown):
            return a
        if _list(a):
            return a
    raise FunctionError("no non-empty list argument")


def f_tolist(v: Any) -> list[Any]:
    if isinstance(v, dict):
        raise FunctionError("cannot convert a map to a list")
    return _list(v)


def f_toset(v: Any) -> list[Any]:
    # sets are ordered lists of distinct elements, sorted as Terraform sorts strings
    items = _unique(_list(v))
    if all(isinstance(i, str) for i in items):
        return sorted(items)
    return items


def f_tomap(v: Any) -> dict[str, Any]:
    return dict(_map(v))


def f_tostring(v: Any) -> Any:
    if v is None:
        return None
    return to_string(v)


def f_tonumber(v: Any) -> Any:
    if v is None:
        return None
    return to_number(v)


def f_tobool(v: Any) -> Any:
    if v is None:
        return None
    return to_bool(v)


def f_range(*args: Any) -> list[int | float]:
    nums = [to_number(a) for a in args]
    start: int | float
    stop: int | float
    step: int | float
    if len(nums) == 1:
        start, stop, step = 0, nums[0], 1
    elif len(nums) == 2:
        start, stop, step = nums[0], nums[1], (1 if nums[1] >= nums[0] else -1)
    elif len(nums) == 3:
        start, stop, step = nums
    else:
        raise FunctionError("range() takes one to three arguments")
    if step == 0:
        raise FunctionError("range() step must not be zero")
    count = max(0, math.ceil((stop - start) / step))
    if count > MAX_COLLECTION:
        raise FunctionError(f"range() would have {count} elements (limit {MAX_COLLECTION})")
    return [start + i * step for i in range(count)]


def f_slice(lst: Any, start: Any, end: Any) -> list[Any]:
    items = _list(lst)
    s, e = int(to_number(start)), int(to_number(end))
    if not 0 <= s <= e <= len(items):
        raise FunctionError("slice() indexes out of range")
    return items[s:e]


def f_chunklist(lst: Any, size: Any) -> list[list[Any]]:
    items, n = _list(lst), int(to_number(size))
    if n <= 0:
        return [items]
    return [items[i : i + n] for i in range(0, len(items), n)]


def f_reverse(lst: Any) -> list[Any]:
    return list(reversed(_list(lst)))


def f_sort(lst: Any) -> list[str]:
    items = _list(lst)
    for i in items:
        if isinstance(i, Unknown):
            raise _UnknownArg(i)
    return sorted(to_string(i) for i in items)


def f_one(lst: Any) -> Any:
    items = _list(lst)
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    raise FunctionError("one() needs a collection of no more than one element")


def f_setunion(*sets: Any) -> list[Any]:
    out: list[Any] = []
    for s in sets:
        out.extend(_list(s))
    return _unique(out)


def f_setintersection(first: Any, *rest: Any) -> list[Any]:
    items = _unique(_list(first))
    for other in rest:
        others = _list(other)
        items = [i for i in items if any(hcl_equal(i, o) for o in others)]
    return items


def f_setsubtract(a: Any, b: Any) -> list[Any]:
    others = _list(b)
    return [i for i in _unique(_list(a)) if not any(hcl_equal(i, o) for o in others)]


def f_setproduct(*sets: Any) -> list[list[Any]]:
    import itertools

    lists = [_list(s) for s in sets]
    total = math.prod(len(x) for x in lists)
    if total > MAX_COLLECTION:
        raise FunctionError(f"setproduct() would have {total} elements (limit {MAX_COLLECTION})")
    return [list(p) for p in itertools.product(*lists)]


def f_transpose(m: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, vs in _map(m).items():
        for v in _list(vs):
            out.setdefault(to_string(v), []).append(k)
    return {k: sorted(v) for k, v in sorted(out.items())}


def f_matchkeys(values: Any, keys: Any, search: Any) -> list[Any]:
    vs, ks, wanted = _list(values), _list(keys), _list(search)
    return [v for v, k in zip(vs, ks) if any(hcl_equal(k, w) for w in wanted)]


def f_alltrue(lst: Any) -> Any:
    items = _list(lst)
    if any(not isinstance(i, Unknown) and not to_bool(i) for i in items):
        return False
    unknown = next((i for i in items if isinstance(i, Unknown)), None)
    return unknown if unknown is not None else True


def f_anytrue(lst: Any) -> Any:
    items = _list(lst)
    if any(not isinstance(i, Unknown) and to_bool(i) for i in items):
        return True
    unknown = next((i for i in items if isinstance(i, Unknown)), None)
    return unknown if unknown is not None else False


def f_sum(lst: Any) -> int | float:
    items = [to_number(i) for i in _list(lst)]
    if not items:
        raise FunctionError("sum() of an empty list")
    return sum(items)


# --------------------------------------------------------------------------- numbers


def f_min(*args: Any) -> int | float:
    if not args:
        raise FunctionError("min() needs at least one argument")
    return min(to_number(a) for a in args)


def f_max(*args: Any) -> int | float:
    if not args:
        raise FunctionError("max() needs at least one argument")
    return max(to_number(a) for a in args)


def f_parseint(s: Any, base: Any) -> int:
    try:
        return int(to_string(s), int(to_number(base)))
    except ValueError as exc:
        raise FunctionError(str(exc)) from None


def f_pow(a: Any, b: Any) -> int | float:
    x, y = to_number(a), to_number(b)
    if abs(y) > 1024:
        raise FunctionError("exponent too large")
    return x**y


# --------------------------------------------------------------------------- networks


def _network(prefix: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(to_string(prefix), strict=False)
    except ValueError as exc:
        raise FunctionError(f"invalid CIDR: {exc}") from None


def f_cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    net = _network(prefix)
    bits, num = int(to_number(newbits)), int(to_number(netnum))
    new_prefix = net.prefixlen + bits
    if bits < 0 or new_prefix > net.max_prefixlen or num < 0 or num >= 2**bits:
        raise FunctionError("cidrsubnet() arguments out of range")
    size = 2 ** (net.max_prefixlen - new_prefix)
    base = int(net.network_address) + num * size
    return f"{ipaddress.ip_address(base)}/{new_prefix}"


def f_cidrsubnets(prefix: Any, *newbits: Any) -> list[str]:
    net = _network(prefix)
    out: list[str] = []
    cursor = int(net.network_address)
    for nb in newbits:
        new_prefix = net.prefixlen + int(to_number(nb))
        if new_prefix > net.max_prefixlen:
            raise FunctionError("cidrsubnets() prefix too long")
        size = 2 ** (net.max_prefixlen - new_prefix)
        cursor = ((cursor + size - 1) // size) * size
        out.append(f"{ipaddress.ip_address(cursor)}/{new_prefix}")
        cursor += size
    return out


def f_cidrhost(prefix: Any, hostnum: Any) -> str:
    net = _network(prefix)
    n = int(to_number(hostnum))
    if n < 0:
        n += net.num_addresses
    if not 0 <= n < net.num_addresses:
        raise FunctionError("cidrhost() host number out of range")
    return str(ipaddress.ip_address(int(net.network_address) + n))


def f_cidrnetmask(prefix: Any) -> str:
    net = _network(prefix)
    return str(net.netmask)


# --------------------------------------------------------------------------- unknowable


def _unknown(reason: str) -> Callable[..., Unknown]:
    def fn(*_args: Any) -> Unknown:
        return Unknown(reason)

    return fn


def _identity(v: Any) -> Any:
    return v


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": lambda v: abs(to_number(v)),
    "alltrue": f_alltrue,
    "anytrue": f_anytrue,
    "base64decode": f_base64decode,
    "base64encode": f_base64encode,
    "base64gzip": _unknown("base64gzip() output is not analysed"),
    "base64sha256": lambda s: base64.b64encode(hashlib.sha256(to_string(s).encode()).digest()).decode(),
    "basename": lambda s: to_string(s).rstrip("/").rsplit("/", 1)[-1],
    "bcrypt": _unknown("bcrypt() is salted at apply time"),
    "can": _identity,  # handled by the evaluator
    "ceil": lambda v: math.ceil(to_number(v)),
    "chomp": lambda s: to_string(s).rstrip("\r\n"),
    "chunklist": f_chunklist,
    "cidrhost": f_cidrhost,
    "cidrnetmask": f_cidrnetmask,
    "cidrsubnet": f_cidrsubnet,
    "cidrsubnets": f_cidrsubnets,
    "coalesce": f_coalesce,
    "coalescelist": f_coalescelist,
    "compact": f_compact,
    "concat": f_concat,
    "contains": f_contains,
    "dirname": lambda s: to_string(s).rstrip("/").rsplit("/", 1)[0] if "/" in to_string(s) else ".",
    "distinct": f_distinct,
    "element": f_element,
    "endswith": lambda s, x: to_string(s).endswith(to_string(x)),
    "flatten": f_flatten,
    "floor": lambda v: math.floor(to_number(v)),
    "format": f_format,
    "formatdate": _unknown("formatdate() depends on the time"),
    "formatlist": f_formatlist,
    "indent": f_indent,
    "index": f_index,
    "join": f_join,
    "jsondecode": f_jsondecode,
    "jsonencode": f_jsonencode,
    "keys": f_keys,
    "length": f_length,
    "log": lambda v, b: math.log(to_number(v), to_number(b)),
    "lookup": f_lookup,
    "lower": lambda s: to_string(s).lower(),
    "matchkeys": f_matchkeys,
    "max": f_max,
    "md5": _hash("md5"),
    "merge": f_merge,
    "min": f_min,
    "nonsensitive": _identity,
    "one": f_one,
    "parseint": f_parseint,
    "pow": f_pow,
    "range": f_range,
    "regex": f_regex,
    "regexall": f_regexall,
    "replace": f_replace,
    "reverse": f_reverse,
    "sensitive": _identity,
    "setintersection": f_setintersection,
    "setproduct": f_setproduct,
    "setsubtract": f_setsubtract,
    "setunion": f_setunion,
    "sha1": _hash("sha1"),
    "sha256": _hash("sha256"),
    "sha512": _hash("sha512"),
    "signum": lambda v: (to_number(v) > 0) - (to_number(v) < 0),
    "slice": f_slice,
    "sort": f_sort,
    "split": f_split,
    "startswith": lambda s, x: to_string(s).startswith(to_string(x)),
    "strcontains": lambda s, x: to_string(x) in to_string(s),
    "strrev": lambda s: to_string(s)[::-1],
    "substr": f_substr,
    "sum": f_sum,
    "timeadd": _unknown("timeadd() depends on the time"),
    "timestamp": _unknown("timestamp() is known only at apply time"),
    "title": f_title,
    "tobool": f_tobool,
    "tolist": f_tolist,
    "tomap": f_tomap,
    "tonumber": f_tonumber,
    "toset": f_toset,
    "tostring": f_tostring,
    "transpose": f_transpose,
    "trim": f_trim,
    "trimprefix": f_trimprefix,
    "trimspace": lambda s: to_string(s).strip(),
    "trimsuffix": f_trimsuffix,
    "try": _identity,  # handled by the evaluator
    "type": lambda v: type_name(v),
    "upper": lambda s: to_string(s).upper(),
    "urlencode": f_urlencode,
    "uuid": _unknown("uuid() is random"),
    "uuidv5": _unknown("uuidv5() is not analysed"),
    "values": f_values,
    "yamldecode": f_yamldecode,
    "yamlencode": f_yamlencode,
    "zipmap": f_zipmap,
    # functions that read files are supplied by the Terraform context (bounded to the scan)
}

# functions whose result does not become unknown just because an argument is
UNKNOWN_TOLERANT = frozenset({"coalesce", "coalescelist", "try", "can", "jsonencode", "replace"})
