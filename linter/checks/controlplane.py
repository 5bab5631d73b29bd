"""Control-plane components as their flags and configuration make them behave.

A component (kube-apiserver, the kubelet, etcd, the Kubernetes dashboard) is found where it
runs or where it is configured:

- in a container of any pod template (a static pod, any workload, the Terraform kubernetes
  provider's pods and workloads: pod templates are found by shape in either spelling)
  whose command runs the component's binary, or whose image's entrypoint is the component
  (``images``);
- in a configuration object that writes the component's flags (``args``: kubeadm's
  ``apiServer.extraArgs``, ``etcd.local.extraArgs``, ``nodeRegistration.kubeletExtraArgs``)
  or its settings as fields (``fields``: a ``KubeletConfiguration``).

Each setting's *effective* value is then worked out as the component would: the flags on
the command line (every spelling, the last one winning or, for list flags, the occurrences
adding up), else the environment variable the component reads, else a configuration file
named on the command line (whose content is not known), else the default of that source.
A rule's ``open`` condition is evaluated over those values, so every control-plane rule is
data: which binary, which flags, which defaults, what counts as open.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from typing import Any

from msgspec import Struct, field

from linter.checks import CONDITION, Context, named_check
from linter.conditions import WILDCARD, Condition, compile_condition, parse_path
from linter.evaluation import Hit, render
from linter.graph import Resource
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.parsers.kubernetes import containers
from linter.values import Unknown, display

_NAME = {"type": "string", "minLength": 1}
_NAMES = {"type": "array", "minItems": 1, "items": _NAME}

SETTING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type"],
    "properties": {
        "type": {"enum": ["bool", "int", "string", "list"], "description": "how the value is read: a Go boolean (`true`, `1`, `f`…), a number, text, or a comma-separated list"},
        "flags": {**_NAMES, "description": "the flag names that set it, without dashes (default: the setting's name); several names are aliases of one flag"},
        "default": {"description": "the component's own value when nothing writes it (omit: none)"},
        "until": {"type": "string", "pattern": r"^\d+\.\d+$", "description": "the first Kubernetes version in which the setting no longer has an effect (`1.20`); from it on the value is `after`"},
        "after": {"description": "the value from `until` on, whatever is written"},
        "env": {**_NAME, "description": "the environment variable the component reads it from when no flag sets it (etcd's `ETCD_CLIENT_CERT_AUTH`)"},
        "file_flags": {**_NAMES, "description": "flags naming a configuration file that may write the setting: when one is given, a setting not written as a flag is not known"},
        "file_wins": {"type": "boolean", "description": "with one of `file_flags` given, the file replaces every flag (etcd's `--config-file`)"},
        "repeated": {"enum": ["last", "append"], "description": "what a flag written twice does: the last one wins (default), or the values add up (a list flag such as `--authorization-mode`)"},
    },
}

PARAMS: dict[str, Any] = {
    "required": ["component", "settings", "open"],
    "properties": {
        "component": {**_NAME, "description": "the component in messages (`kube-apiserver`)"},
        "binaries": {**_NAMES, "description": "how a command runs it: an executable's base name (`kube-apiserver`), or an executable and its subcommand (`hyperkube kube-apiserver`)"},
        "images": {**_NAMES, "description": "images whose entrypoint is the component (the repository's last segment, `dashboard`): a container without `command` passes its `args` to it as flags"},
        "settings": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": SETTING_SCHEMA,
            "description": "the settings the rule reads, by name (the flag name by default); `open` and `grades` name them as paths",
        },
        "open": {**CONDITION, "description": "when the component is open: a condition over the effective values (paths are setting names, `[*]` for each item of a list); reported at its witness"},
        "grades": {
            "type": "array",
            "description": "the first entry whose condition holds grades the finding (else the rule's severity)",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["when", "severity"],
                "properties": {
                    "when": CONDITION,
                    "severity": {"enum": ["critical", "high", "medium", "low"]},
                    "verdict": {"enum": ["exposed", "posture"], "description": "posture: the component lets requests in, but what they get is decided elsewhere"},
                    "says": {**_NAME, "description": "why, in the finding's evidence (and as the posture reason)"},
                },
            },
        },
        "as_of": {"type": "string", "pattern": r"^\d+\.\d+$", "description": "the Kubernetes version whose reference documents the defaults, named when a default decides"},
        "args": {**_NAMES, "description": "where a configuration object writes the component's flags: a map of flag to value, or a list of `name`/`value` (kubeadm v1beta4)"},
        "fields": {"type": "object", "additionalProperties": _NAME, "description": "where a configuration object writes each setting as a field (`anonymous-auth: authentication.anonymous.enabled`)"},
        "defaults": {"type": "object", "description": "this source's defaults, over the settings' own (kubeadm's, a configuration file's)"},
        "source": {**_NAME, "description": "what the source is called in messages when a default decides (`kubeadm`, `KubeletConfiguration`); default: the component"},
        "version": {**_NAME, "description": "the setting holding the Kubernetes version of a configuration object (`kubernetesVersion`); containers read it from their image tag"},
    },
}

_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_SHELLS = {"sh", "bash", "ash", "dash", "zsh", "ksh"}
# programs that start another one: the program they start is the next word that is not an option
_WRAPPERS = {"exec", "env", "nice", "nohup", "tini", "dumb-init", "go-runner", "catatonit"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_K8S_VAR = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_FLAG_VALUE = re.compile(r"(-{1,2}[^=\s]+=)(.*)", re.S)
_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


# --------------------------------------------------------------------------- command lines


class Token(Struct, frozen=True):
    """One word of a command line and where it is written."""

    text: str | Unknown
    path: Path
    # `--flag=$(VAR)` with VAR not known: the text keeps `--flag=`, the value is this
    unknown: Unknown | None = None


class Invocation(Struct):
    """A component started somewhere: its flags, environment and version, and where it is."""

    where: str  # in messages: "container apiserver", "" for a configuration object
    at: Path  # where a setting nobody writes is reported (the binary, the args map)
    flags: list[Token] = field(default_factory=list)  # the words after the binary
    pairs: list[tuple[str, Any, Path]] | None = None  # (flag, value, path) of an args map
    fields: dict[str, Path] | None = None  # setting -> path of a configuration object
    env: dict[str, tuple[Any, Path]] = field(default_factory=dict)
    version: tuple[int, int] | None = None


def _basename(text: str) -> str:
    return text.rstrip("/").rsplit("/", 1)[-1]


def _expand(text: str, env: dict[str, tuple[Any, Path]]) -> str | Unknown:
    """Kubernetes' ``$(VAR)`` references in a command, from the container's environment
    (``$$`` escapes; an undefined variable stays as written)."""
    unknown: list[Unknown] = []

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        if name not in env:
            return m.group(0)
        value = env[name][0]
        if isinstance(value, Unknown) or not isinstance(value, (str, int, float, bool)):
            unknown.append(value if isinstance(value, Unknown) else Unknown(f"${name} is not known"))
            return ""
        return str(value).lower() if isinstance(value, bool) else str(value)

    out = _K8S_VAR.sub(sub, text)
    return unknown[0] if unknown else out


def _words(items: Any, base: Path, env: dict[str, tuple[Any, Path]]) -> list[Token]:
    if isinstance(items, Unknown):
        return [Token(items, base)]
    if not isinstance(items, list):
        return []
    out = []
    for i, item in enumerate(items):
        if isinstance(item, Unknown):
            out.append(Token(item, base + (i,)))
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
            text = _expand(str(item), env)
            flag = _FLAG_VALUE.fullmatch(str(item))
            if isinstance(text, Unknown) and flag and not isinstance(_expand(flag.group(1), env), Unknown):
                # only the value is not known: the flag is still set (to an unknown value)
                out.append(Token(flag.group(1), base + (i,), unknown=text))
            else:
                out.append(Token(text, base + (i,)))
    return out


def _script(token: Token) -> list[list[Token]]:
    """The simple commands of a ``sh -c`` script, each as words (all located on the script)."""
    if isinstance(token.text, Unknown):
        return []
    commands: list[list[Token]] = [[]]
    # line by line, so a comment ends at its line as in the shell
    for line in token.text.replace("\\\n", " ").split("\n"):
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            for word in lexer:
                if word and all(c in "();<>|&" for c in word):
                    commands.append([])
                else:
                    unknown = "$" in word or "`" in word or "{{" in word
                    commands[-1].append(Token(Unknown(f"{word} is expanded when the script runs") if unknown else word, token.path))
        except ValueError:
            return []  # unbalanced quotes (or a quote across lines): not read
        commands.append([])
    return [c for c in commands if c]


def invocations(words: list[Token], binaries: list[list[str]], _depth: int = 0) -> Iterator[tuple[Token, list[Token]]]:
    """(binary, flags) of every start of one of ``binaries`` in a command line: directly, through
    a wrapper (``go-runner``, ``tini``, ``exec``…) or in a shell's ``-c`` script."""
    i = 0
    while i < len(words) and isinstance(words[i].text, str) and _ASSIGNMENT.match(str(words[i].text)) and _depth:
        i += 1  # FOO=bar before a command in a script
    if i >= len(words) or isinstance(words[i].text, Unknown) or str(words[i].text).startswith("-"):
        return  # an option is never the program (the image's entrypoint takes it)
    exe = _basename(str(words[i].text))
    rest = words[i + 1 :]
    if exe in _SHELLS and _depth < 3:
        for j, word in enumerate(rest):
            text = word.text
            if isinstance(text, str) and re.fullmatch(r"-[a-z]*c[a-z]*", text) and j + 1 < len(rest):
                for command in _script(rest[j + 1]):
                    yield from invocations(command, binaries, _depth + 1)
                return
        return
    if exe in _WRAPPERS:
        j = 0
        while j < len(rest) and isinstance(rest[j].text, str) and (str(rest[j].text).startswith("-") or (exe == "env" and _ASSIGNMENT.match(str(rest[j].text)))):
            j += 1
        yield from invocations(rest[j:], binaries, _depth + 1)
        return
    for names in binaries:
        if _basename(names[0]) != exe:
            continue
        sub = names[1:]
        if all(k < len(rest) and rest[k].text == s for k, s in enumerate(sub)):
            yield words[i], rest[len(sub) :]
            return


def image_name(image: Any) -> tuple[str, tuple[int, int] | None]:
    """An image's repository name (its last segment) and the Kubernetes version of its tag."""
    if not isinstance(image, str):
        return "", None
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    name, _, tag = last.partition(":")
    m = _VERSION.match(tag)
    # only a 1.x tag is a Kubernetes version (etcd's 3.5, a company's own 2.3 are not)
    return name, (int(m.group(1)), int(m.group(2))) if m and m.group(1) == "1" else None


def parse_version(value: Any) -> tuple[int, int] | None:
    """``v1.28.3``, ``1.28``, ``stable-1.28`` -> (1, 28)."""
    if not isinstance(value, str):
        return None
    m = _VERSION.match(value.strip().removeprefix("stable-"))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _env(container: dict[str, Any], base: Path) -> dict[str, tuple[Any, Path]]:
    """A container's environment: name -> (literal value or Unknown, path)."""
    out: dict[str, tuple[Any, Path]] = {}
    items = container.get("env")
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        value = item.get("value")
        if value is None and item.get("value_from", item.get("valueFrom")) is not None:
            value = Unknown(f"{item['name']} comes from another object")
        out[item["name"]] = (value if value is not None else "", base + ("env", i, "value"))
    return out


# --------------------------------------------------------------------------- where a component runs


def _from_containers(ctx: Context, res: Resource) -> Iterator[Invocation]:
    binaries = [str(b).split() for b in ctx.params.get("binaries") or []]
    images = set(ctx.params.get("images") or [])
    for base, container in containers(res):
        env = _env(container, base)
        name, version = image_name(container.get("image"))
        label = f"container {container.get('name')}" if isinstance(container.get("name"), str) else "its container"
        command = _words(container.get("command"), base + ("command",), env)
        args = _words(container.get("args"), base + ("args",), env)
        if container.get("command") is None and name in images:
            yield Invocation(label, base + ("image",), flags=args, env=env, version=version)
            continue
        for exe, flags in invocations(command + args if container.get("command") is not None else args, binaries):
            yield Invocation(label, exe.path, flags=flags, env=env, version=version)


def _pairs(value: Any, base: Path) -> list[tuple[str, Any, Path]]:
    """The flags of an args map (``{flag: value}``) or list (``[{name, value}]``), in order."""
    if isinstance(value, dict):
        return [(str(k), v, base + (k,)) for k, v in value.items()]
    if isinstance(value, list):
        out = []
        for i, item in enumerate(value):
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                out.append((item["name"], item.get("value"), base + (i, "value")))
        return out
    return []


def _from_object(ctx: Context, res: Resource) -> Iterator[Invocation]:
    version_setting = ctx.params.get("version")
    version = parse_version(value_at(res.attrs, parse_path(version_setting))) if version_setting else None
    if ctx.params.get("fields"):
        paths = {name: tuple(parse_path(p)) for name, p in ctx.params["fields"].items()}
        yield Invocation("", (), fields=paths, version=version)
    for text in ctx.params.get("args") or []:
        path = tuple(parse_path(text))
        value = value_at(res.attrs, path)
        if isinstance(value, Unknown):
            continue
        yield Invocation("", path, pairs=_pairs(value, path), version=version)


# --------------------------------------------------------------------------- effective values


class Value(Struct):
    """A setting's effective value and how it came to be."""

    value: Any  # typed value, None when nothing sets it and it has no default, or Unknown
    path: Path | None  # where it is written; None when a default decides
    how: str


def _typed(kind: str, raw: Any) -> Any:
    """A flag or field value as the component reads it; Unknown when it would refuse it."""
    if isinstance(raw, Unknown):
        return raw
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip()
        if text in _GO_TRUE:
            return True
        if text in _GO_FALSE:
            return False
        return Unknown(f"{text!r} is not a boolean: the component would refuse it")
    if kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        try:
            return int(str(raw).strip(), 0)
        except ValueError:
            return Unknown(f"{raw!r} is not a number: the component would refuse it")
    if kind == "list":
        items = raw if isinstance(raw, list) else str(raw).split(",")
        if any(isinstance(i, Unknown) for i in items):
            return Unknown("part of the list is not known")
        return [str(i).strip() for i in items if str(i).strip()]
    return str(raw).lower() if isinstance(raw, bool) else str(raw)


def _flag_values(inv: Invocation, names: list[str], kind: str) -> list[tuple[Any, Path, str]]:
    """Every (raw value, path, as written) of the flags ``names`` in order, on the command line
    or in an args map. A boolean flag without ``=`` is true; another takes the next word."""
    out: list[tuple[Any, Path, str]] = []
    if inv.pairs is not None:
        for name, value, path in inv.pairs:
            if name.lstrip("-") in names:
                out.append((value, path, f"{name.lstrip('-')}: {display(value)}"))
        return out
    words = inv.flags
    i = 0
    while i < len(words):
        text = words[i].text
        i += 1
        if isinstance(text, Unknown) or not text.startswith("-") or text in ("-", "--"):
            if text == "--":
                break
            continue
        name, eq, value = text.lstrip("-").partition("=")
        if name not in names:
            continue
        if eq:
            unknown = words[i - 1].unknown
            out.append((unknown if unknown is not None else value, words[i - 1].path, text))
        elif kind == "bool":
            out.append(("true", words[i - 1].path, text))
        elif i < len(words):
            nxt = words[i].text
            out.append((nxt, words[i].path, f"{text} {nxt if isinstance(nxt, str) else '…'}"))
            i += 1
        else:
            out.append((Unknown(f"{text} has no value: the component would refuse it"), words[i - 1].path, text))
    return out


def _older(version: tuple[int, int] | None, until: str | None) -> bool | None:
    """Whether the version is before ``until``; None when either is not known."""
    if until is None:
        return True
    if version is None:
        return None
    major, minor = (int(p) for p in until.split("."))
    return version < (major, minor)


def effective(ctx: Context, inv: Invocation, name: str, spec: dict[str, Any], res: Resource) -> Value:
    """The value the component runs with for one setting of one invocation."""
    kind = spec["type"]
    flags = list(spec.get("flags") or [name])
    component = ctx.params["component"]
    older = _older(inv.version, spec.get("until"))
    if older is False:
        return Value(spec.get("after"), None, f"Kubernetes {spec['until']} and later ignore --{flags[0]}")
    file_flags = list(spec.get("file_flags") or [])
    file_given = _flag_values(inv, file_flags, "string") if file_flags and inv.fields is None else []
    if file_given and spec.get("file_wins"):
        _, path, written = file_given[-1]
        return Value(Unknown(f"{written} replaces every flag with a file that is not scanned"), path, written)
    if inv.fields is not None:
        field_path = inv.fields.get(name)
        raw = value_at(res.attrs, field_path) if field_path is not None else None
        if field_path is not None and raw is not None:
            return Value(_typed(kind, raw), field_path, f"{'.'.join(str(p) for p in field_path)}: {display(raw)}")
    else:
        found = _flag_values(inv, flags, kind)
        if found:
            if spec.get("repeated") == "append" and kind == "list":
                values = [_typed(kind, raw) for raw, _, _ in found]
                unknown = next((v for v in values if isinstance(v, Unknown)), None)
                merged: Any = unknown if unknown is not None else [item for v in values for item in v]
                return Value(merged, found[-1][1], " ".join(w for _, _, w in found))
            raw, path, written = found[-1]
            return Value(_typed(kind, raw), path, written)
        variable = spec.get("env")
        if variable and variable in inv.env:
            raw, path = inv.env[variable]
            return Value(_typed(kind, raw), path, f"{variable}={display(raw)}")
        if file_given:
            _, path, written = file_given[-1]
            return Value(Unknown(f"not a flag: the file named by {written} decides"), path, written)
    defaults = ctx.params.get("defaults") or {}
    source = ctx.params.get("source") or component
    as_of = f", Kubernetes {ctx.params['as_of']}" if ctx.params.get("as_of") else ""
    if name in defaults:
        value = defaults[name]
    elif "default" in spec:
        value = spec["default"]
    else:
        return Value(None, None, f"--{flags[0]} is not set")
    what = f"{'.'.join(str(p) for p in inv.fields[name])}" if inv.fields is not None and name in inv.fields else f"--{flags[0]}"
    shown = ",".join(value) if isinstance(value, list) else display(value)
    return Value(_typed(kind, value) if value is not None else None, None, f"{what} is not set: {source}'s default is {shown}{as_of}")


# --------------------------------------------------------------------------- the check


class _Compiled(Struct, frozen=True):
    open: Condition
    grades: tuple[tuple[Condition, Severity, str, str], ...]


def _compiled(ctx: Context) -> _Compiled:
    def build() -> _Compiled:
        grades = tuple(
            (compile_condition(g["when"], f"params.grades[{i}].when"), Severity.parse(g["severity"]), str(g.get("verdict", "exposed")), str(g.get("says", "")))
            for i, g in enumerate(ctx.params.get("grades") or [])
        )
        return _Compiled(compile_condition(ctx.params["open"], "params.open"), grades)

    return ctx.memo(("component-flag", json.dumps(ctx.params, sort_keys=True, default=str)), build)


def _setting_of(witness: Path) -> str | None:
    return str(witness[0]) if witness and isinstance(witness[0], str) else None


def _mentioned(spec: Any) -> list[str]:
    """The settings a condition reads, in order."""
    out: list[str] = []
    if isinstance(spec, dict):
        if "path" in spec:
            parts = parse_path(str(spec["path"]))
            if parts and isinstance(parts[0], str) and parts[0] is not WILDCARD:
                out.append(parts[0])
        for key in ("all", "any"):
            for member in spec.get(key) or []:
                out.extend(_mentioned(member))
        for key in ("not", "where"):
            if isinstance(spec.get(key), dict):
                out.extend(_mentioned(spec[key]))
    return list(dict.fromkeys(out))


@named_check("component-flag", PARAMS)
def component_flag(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A control-plane component runs with a setting that lets requests in: its effective value, from flags, environment, configuration fields or the component's default.

    Where the component runs: a container of any pod template whose command starts one of
    `binaries` (directly, through a wrapper such as `go-runner` or `exec`, or in a
    `sh -c` script), or whose image is one of `images` with no `command` (its `args` are
    the flags); manifests and the Terraform kubernetes provider alike. Where it
    is configured: an object that writes its flags (`args`: kubeadm's `extraArgs`, a map or
    a list of `name`/`value`), or its settings as fields (`fields`: a
    `KubeletConfiguration`). Each setting's value is read as the component reads it:
    `--flag=value`, `--flag value`, a boolean flag alone; the last occurrence wins, or
    occurrences add up (`repeated: append`); Kubernetes' `$(VAR)` references are expanded
    from the container's environment; else its environment variable (`env`); else, when
    a configuration file is named (`file_flags`), not known; else the source's default
    (`defaults`, then the setting's `default`). A setting with `until` has no effect from
    that Kubernetes version on; the version comes from the image tag or `version`, and
    when it is not known the finding says it holds only for older versions. `open` is
    evaluated over the values (a value not known is never open) and the finding is shown
    where the deciding setting is written, or on the command that starts the component
    when a default decides. `grades` grade it (and may make it a posture: the component
    lets requests in but something else decides what they get). Message facts:
    `{component}`, `{where}`, `{flag}`, `{how}`."""
    compiled = _compiled(ctx)
    settings: dict[str, dict[str, Any]] = ctx.params["settings"]
    found = _from_object(ctx, res) if ctx.params.get("fields") or ctx.params.get("args") else _from_containers(ctx, res)
    for inv in found:
        values = {name: effective(ctx, inv, name, spec, res) for name, spec in settings.items()}
        view = {name: v.value for name, v in values.items()}
        truth, witnesses = compiled.open.evaluate(view)
        if truth is not True:
            continue
        # shown where a deciding setting is written: the witness, else another setting the
        # condition reads that is written (a default decides nothing to point at)
        named = [s for s in (_setting_of(w) for w in witnesses) if s in values] + [s for s in _mentioned(ctx.params["open"]) if s in values]
        name = next((s for s in named if values[s].path is not None), None) or (named[0] if named else next(iter(settings)))
        deciding = values[name]
        severity: Severity | None = None
        facts: dict[str, Any] = {}
        evidence: list[Evidence] = []
        for condition, grade, verdict, says in compiled.grades:
            if condition.evaluate(view)[0] is True:
                severity = grade
                if verdict == "posture":
                    facts["verdict"] = "posture"
                    facts["verdict_reason"] = says or "the component lets requests in; what they get is decided elsewhere"
                elif says:
                    evidence.append(Evidence(says))
                break
        for other in _mentioned(ctx.params["open"]) + [s for g in ctx.params.get("grades") or [] for s in _mentioned(g["when"])]:
            if other != name and other in values:
                v = values[other]
                evidence.append(Evidence(v.how, locate(res, v.path) if v.path is not None else None))
        evidence = list(dict.fromkeys(evidence))
        limited = [s for s in settings if settings[s].get("until") and s in _mentioned(ctx.params["open"])]
        if limited and inv.version is None and "verdict" not in facts:
            until = settings[limited[0]]["until"]
            facts["verdict"] = "conditional"
            facts["verdict_reason"] = f"only on Kubernetes before {until}: which version runs is not known here (no version in the image tag)"
        flag = (settings[name].get("flags") or [name])[0]
        facts.update(component=ctx.params["component"], where=f" ({inv.where})" if inv.where else "", flag=f"--{flag}", how=deciding.how)
        at = deciding.path if deciding.path is not None else inv.fields[name] if inv.fields and name in inv.fields else inv.at
        hit = Hit(res, at, evidence=evidence, severity=severity, value=deciding.value, facts=facts)
        if not ctx.rule.message:
            hit.message = render("{component}{where}: {how}", hit)
        yield hit
