"""Values shared by every format: what is known, and an explicit Unknown for what is not.

Resolved values are plain Python data (dict, list, str, int, float, bool, None). Anything
that cannot be known from the source (a variable with no value, a computed attribute, a
pseudo parameter) is an :class:`Unknown`. Unknown never satisfies a comparison; it says
why it is unknown, and, when it stands for another resource's attribute, which resource.
"""

from __future__ import annotations

from typing import Any


class Unknown:
    __slots__ = ("reason", "ref")

    def __init__(self, reason: str = "", ref: str | None = None) -> None:
        self.reason = reason
        # address of the resource whose (computed) attribute this stands for, if any
        self.ref = ref

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})" if self.reason else "Unknown()"

    def __bool__(self) -> bool:  # pragma: no cover - guard against accidental truth tests
        raise TypeError("the truth of an Unknown value is undefined")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.reason == self.reason and other.ref == self.ref

    def __hash__(self) -> int:
        return hash(("Unknown", self.reason, self.ref))


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def contains_unknown(value: Any, _depth: int = 0) -> bool:
    if isinstance(value, Unknown):
        return True
    if _depth > 64:
        return False
    if isinstance(value, dict):
        return any(contains_unknown(v, _depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v, _depth + 1) for v in value)
    return False


MAX_STRING = 1_000_000  # characters in one evaluated string
MAX_NODES = 200_000  # values in one evaluated attribute, counted as if shared parts were copied


def expanded_size(value: Any, limit: int = MAX_NODES) -> int:
    """How many values ``value`` holds, counting shared sub-values every time they occur
    (as a JSON dump or a walk would); stops counting just past ``limit``."""
    stack = [value]
    n = 0
    while stack and n <= limit:
        v = stack.pop()
        n += 1
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, str) and hasattr(v, "decoded"):
            stack.append(v.decoded)
    return n


def truth(value: Any) -> bool | None:
    """A boolean setting as written: True for ``true`` (or the text "true"), None when not
    known, False otherwise."""
    if isinstance(value, Unknown):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return False


ON_WORDS = frozenset({"true", "enabled", "enable", "on", "yes"})
OFF_WORDS = frozenset({"false", "disabled", "disable", "off", "no"})


def on_off(value: Any) -> bool | None:
    """An on/off setting in any of the words providers use: ``true``/``false`` and their
    text, ``"Enabled"``/``"Disabled"`` (Azure), ``on``/``off``, ``yes``/``no``. None when
    the value is not known or is not one of those words."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and not isinstance(value, Unknown):
        text = value.strip().lower()
        if text in ON_WORDS:
            return True
        if text in OFF_WORDS:
            return False
    return None


def count_unknown(value: Any) -> int:
    """How many values inside ``value`` are Unknown (JSON documents included)."""
    stack = [value]
    n = 0
    while stack:
        v = stack.pop()
        if isinstance(v, Unknown):
            n += 1
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, str) and hasattr(v, "decoded"):
            stack.append(v.decoded)
    return n


def first_unknown(value: Any, _depth: int = 0) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if _depth > 64:
        return None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    for item in items:
        found = first_unknown(item, _depth + 1)
        if found is not None:
            return found
    return None


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def type_name(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if is_number(v):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, (list, tuple)):
        return "tuple"
    if v is None:
        return "null"
    return "value"


def hcl_equal(a: Any, b: Any) -> bool:
    """Equality without coercion between types (``"1" != 1``, ``true != 1``), as Terraform compares."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return bool(a == b)
    if type_name(a) != type_name(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(hcl_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(hcl_equal(x, y) for x, y in zip(a, b))
    return bool(a == b)


def display(value: Any, limit: int = 80) -> str:
    """A short, stable rendering of a value for messages and evidence."""
    if isinstance(value, Unknown):
        text = f"(unknown: {value.reason})" if value.reason else "(unknown)"
    elif isinstance(value, str):
        text = '"' + value.replace("\n", "\\n") + '"'
    elif value is True:
        text = "true"
    elif value is False:
        text = "false"
    elif value is None:
        text = "null"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(display(v, limit) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k}: {display(v, limit)}" for k, v in value.items()) + "}"
    else:
        text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class PDict(dict):
    """A mapping that remembers where it and each of its entries are written.

    Parsers build resource bodies out of PDict/PList, so a rule that names a path inside a
    resource can be located on the exact entry the path ends at. Functions that build new
    containers (``merge``…) return plain dicts; the locator then falls back to the deepest
    positioned parent.
    """

    __slots__ = ("span", "spans", "via_variable")

    def __init__(self, *args: Any, span: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.span = span
        self.spans: dict[Any, Any] = {}
        # set on a value that reached its place through a variable: its spans are where the
        # value was written (a tfvars line), which the finding's evidence shows instead
        self.via_variable = False

    def __reduce__(self) -> Any:
        return (_rebuild_pdict, (dict(self), self.span, self.spans, self.via_variable))


class PList(list):
    __slots__ = ("span", "spans", "via_variable")

    def __init__(self, items: Any = (), span: Any = None, spans: Any = None, via_variable: bool = False) -> None:
        super().__init__(items)
        self.span = span
        self.spans: list[Any] = list(spans) if spans is not None else []
        self.via_variable = via_variable

    def __reduce__(self) -> Any:
        return (PList, (list(self), self.span, self.spans, self.via_variable))


def _rebuild_pdict(items: dict[Any, Any], span: Any, spans: dict[Any, Any], via_variable: bool = False) -> PDict:
    out = PDict(items, span=span)
    out.spans = spans
    out.via_variable = via_variable
    return out


def mark_via_variable(value: Any) -> Any:
    """Mark the outer container of a variable's value (see ``PDict.via_variable``)."""
    target = value.decoded if isinstance(value, JsonString) else value
    if isinstance(target, (PDict, PList)):
        target.via_variable = True
    return value


class JsonString(str):
    """The text of ``jsonencode(...)`` (or a rendered policy document) that keeps the structure.

    Parts that are not known yet (an ARN computed at apply time) stay Unknown inside
    ``decoded``, so a policy can be analysed even when its resources are not known.
    """

    decoded: Any

    def __new__(cls, text: str, decoded: Any) -> JsonString:
        obj = super().__new__(cls, text)
        obj.decoded = decoded
        return obj

    def __reduce__(self) -> Any:
        return (JsonString, (str(self), self.decoded))


def plain_data(value: Any) -> Any:
    """Positioned data (PDict, PList, JsonString…) as plain dicts, lists and strings, for
    encoders that take only the built-in types (YAML, JSON for another process)."""
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_data(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


class SourcedText(str):
    """Text that remembers where it came from: the file a ``file()`` call read (``path``),
    or the structure a ``yamlencode(...)`` encoded, with its spans (``decoded``). Unlike a
    JsonString, conditions do not step into it; readers that take the text as a document
    (the values of a ``helm_release``) use it to point at the deciding line."""

    path: str | None
    decoded: Any

    def __new__(cls, text: str, path: str | None = None, decoded: Any = None) -> SourcedText:
        obj = super().__new__(cls, text)
        obj.path = path
        obj.decoded = decoded
        return obj

    def __reduce__(self) -> Any:
        return (SourcedText, (str(self), self.path, self.decoded))


def decode_json_value(value: Any) -> Any:
    """A JSON document held in a value: a JsonString's structure, a JSON text, or the value itself."""
    import json

    if isinstance(value, JsonString):
        return value.decoded
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith(("{", "[")):
            return Unknown("not a JSON document")
        try:
            return json.loads(text)
        except ValueError:
            return Unknown("not valid JSON")
    return value
