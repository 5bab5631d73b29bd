"""Who a grant lets in, graded by what it allows, unless something in front of it stops it.

One idea, three shapes of grant:

- ``public-policy``: an IAM-style resource policy (a bucket, queue, repository or secret
  policy, an API's resource policy) or a permission written as fields (a Lambda permission:
  principal, action, scoping settings) lets everyone in (linter/policy.py reads the
  statements); graded by the actions it allows.
- ``public-value``: a setting whose value opens the resource to everyone (a canned ACL, a
  grant to the ``AllUsers`` group, a container's anonymous access level, an anonymous pull
  switch); graded by the value.
- ``protection-off``: a resource whose job is to stop public grants (a public access
  block) leaves some of its protections off, unless another place (the account-level
  block) turns them on.

The grant is written in the resource being judged (the *holder*: an
``aws_s3_bucket_policy``, an ``aws_s3_bucket_acl``); what it exposes is the *subject*,
found through the holder's ``link`` settings by reference or by name (``graph.linked``),
or the holder itself. Around the grant, the rule describes as data:

- ``requires``: what must hold for the grant to matter (a REST API has the PRIVATE
  endpoint type, a domain sits outside a VPC); unknown or false means no finding;
- ``guards``: what stops it (``restrict_public_buckets`` on the bucket's or the account's
  public access block, ``BucketOwnerEnforced``) or lowers its severity (fine-grained
  access control, network rules that deny by default);
- ``missing``: what to do when the subject is not in the scanned code.

Requirements and guards are conditions (the ``when`` vocabulary of rule files, with paths
as the format writes them) evaluated on resources reached from the subject or the holder
by *places*: a list of steps, each following links through the graph's indexes
(``graph.linked``, ``graph.linked_from``, one index of resources per configuration), so
judging N resources costs N lookups, never N x M.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from msgspec import Struct, field

from linter.checks import CONDITION as SHARED_CONDITION
from linter.checks import Context, Hit, named_check
from linter.conditions import Condition, compile_condition, loose_equal, parse_path, resolve
from linter.graph import Resource
from linter.locate import locate, value_at
from linter.model import Evidence, Path, Severity
from linter.policy import PublicGrant, covered, describe_actions, granted, principal_is_public, public_grants, written_actions
from linter.values import JsonString, Unknown, display, truth

# --------------------------------------------------------------------------- params schema


SEVERITY = {"enum": ["critical", "high", "medium", "low"]}
SETTINGS = {"oneOf": [{"type": "string", "minLength": 1}, {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}]}
TEXTS = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
CONDITION = {**SHARED_CONDITION, "description": "a condition as in a rule's `when` (paths as the format writes them: `Properties.X` in CloudFormation)"}

STEP = {
    "oneOf": [
        {"enum": ["subject", "holder"], "description": "start at the subject (the default) or at the judged resource"},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["role"],
            "description": (
                "resources of the types the clause names under `related.<role>`: with `link`, those whose link setting "
                "points at the current resource (a bucket's public access block); with `via`, those the current "
                "resource's setting points at (an access point's bucket); with neither, those in the same configuration "
                "(an account-level block)"
            ),
            "properties": {
                "role": {"type": "string", "minLength": 1},
                "link": {**SETTINGS, "description": "their setting (or settings, first that links wins) that points at the current resource"},
                "via": {**SETTINGS, "description": "the current resource's setting that points at them"},
                "name": {"type": "string", "minLength": 1, "description": "the setting holding the name a literal link value is matched against (default `name`): the current resource's with `link`, theirs with `via`"},
            },
        },
    ]
}
PLACES = {
    "type": "array",
    "minItems": 1,
    "description": "where to look: a list of places, each a list of steps from the subject (`[subject]` is the subject itself); default: the subject",
    "items": {"type": "array", "items": STEP},
}
REQUIRE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["when"],
    "properties": {
        "when": CONDITION,
        "at": PLACES,
        "evidence": {**TEXTS, "description": "why it matters, shown as evidence (`{resource}`, `{setting}`, `{value}` of where it holds); default: the setting and its value"},
    },
}
GUARD = {
    "type": "object",
    "additionalProperties": False,
    "description": "a control that stops the finding, or lowers its severity (`severity`), when its condition holds on a resource it reaches",
    "properties": {
        "when": {**CONDITION, "description": "the guard holds when this is true on some resource it reaches"},
        "unless": {**CONDITION, "description": "the guard holds when it reaches resources and this is true on none of them"},
        "at": PLACES,
        "severity": {**SEVERITY, "description": "lower the finding to this severity instead of stopping it"},
        "only": {"type": "array", "items": {"type": "string"}, "description": "apply only to grants graded by these grades or values (their `name`)"},
        "unknown_stops": {"type": "boolean", "description": "when the guard cannot be decided (a value not known), report nothing (default: report, saying what is not known)"},
        "evidence": {**TEXTS, "description": "shown when the guard lowers the severity (`{resource}`, `{setting}`, `{value}`)"},
        "otherwise": {"type": "string", "description": "shown when the guard does not hold (`{resource}`: the first resource reached; empty: nothing); default: the settings it read and their values"},
        "shows": {"type": "string", "description": "how a setting the guard read is said when the guard does not hold (`{resource}`, `{setting}`, `{value}`; default `{resource} sets {setting} = {value}`)"},
        "unreached": {"type": "string", "description": "shown when the guard reaches no resource that writes its settings"},
    },
    "oneOf": [{"required": ["when"]}, {"required": ["unless"]}],
}
SUBJECT_PROPS: dict[str, Any] = {
    "link": {**SETTINGS, "description": "the setting(s) of the judged resource that point at what it exposes (types: `related.subject`), by reference or by name; first that links wins. Omit when the judged resource is itself what is exposed"},
    "by_name": {"type": "boolean", "description": "match a literal link value against the subject's name (default true); false when the link holds a generated ID that no name can equal"},
    "subject_name": {"type": "string", "minLength": 1, "description": "the subject's setting holding the name a literal link value (a name, an ID, an ARN) is matched against (default `name`)"},
    "exposes": {"enum": ["subject", "holder"], "description": "what the finding says is exposed (its subject, whose data classification grades it): the subject (default), or the judged resource itself when the subject only decides whether it is (an object in a bucket)"},
    "named": {"type": "string", "minLength": 1, "description": "a setting of the judged resource whose value the message names (`{named}`: an object's key)"},
    "label": {"type": "string", "minLength": 1, "description": "what the subject is called in messages (`S3 bucket`): `{subject}` is `<label> <address>`, or `the <label> of <holder>` when it is not in the scanned code"},
    "missing": {
        "type": "object",
        "additionalProperties": False,
        "description": "when the judged resource links to a subject that is not in the scanned code",
        "properties": {
            "skip": {"type": "boolean", "description": "report nothing (the subject's defaults protect it)"},
            "severity": {**SEVERITY, "description": "report at this severity"},
            "evidence": {"type": "string", "description": "say why the subject's settings could not be checked"},
        },
    },
    "requires": {"type": "array", "items": REQUIRE, "description": "conditions that must all hold (on the subject by default) for the grant to matter"},
    "guards": {"type": "array", "items": GUARD, "description": "controls that stop the finding or lower its severity"},
    "evidence": {**TEXTS, "description": "evidence every finding of the rule carries"},
}


def _schema(properties: dict[str, Any], required: Iterable[str] = ()) -> dict[str, Any]:
    return {"properties": {**SUBJECT_PROPS, **properties}, "required": list(required)}


# --------------------------------------------------------------------------- conditions and places

_COMPILED: dict[str, Condition] = {}


def _condition(spec: Any) -> Condition:
    """A condition of the params, compiled once (conditions are pure)."""
    key = json.dumps(spec, sort_keys=True, default=str)
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = compile_condition(spec, "params")
    return found


def _settings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _step(ctx: Context, step: Any, current: list[Resource], holder: Resource) -> list[Resource]:
    if not isinstance(step, dict):
        return current  # "subject"/"holder" only mean something first
    types = ctx.related(step["role"])
    if not types:
        return []
    out: list[Resource] = []
    if "link" in step:
        for cur in current:
            for setting in _settings(step["link"]):
                out.extend(ctx.graph.linked_from(cur, types, setting, name_setting=step.get("name", "name")))
    elif "via" in step:
        for cur in current:
            for setting in _settings(step["via"]):
                found = ctx.graph.linked(cur, setting, types, name_setting=step.get("name", "name"))
                if found:
                    out.extend(found)
                    break
    else:
        for root in sorted({c.root for c in current} or {holder.root}):
            out.extend(ctx.graph.in_configuration(root, types))
    return list(dict.fromkeys(out))


def _same_configuration_step(step: Any) -> bool:
    return isinstance(step, dict) and "link" not in step and "via" not in step


def reach(ctx: Context, places: list[list[Any]] | None, holder: Resource, subject: Resource | None) -> tuple[list[Resource], bool]:
    """The resources the places lead to, and whether a place could not start because the
    subject is not in the scanned code (a same-configuration step starts from the holder's
    configuration instead)."""
    out: list[Resource] = []
    blind = False
    for place in places or [["subject"]]:
        steps = list(place)
        current: list[Resource]
        if steps and steps[0] == "holder":
            current, steps = [holder], steps[1:]
        else:
            if steps and steps[0] == "subject":
                steps = steps[1:]
            if subject is not None:
                current = [subject]
            elif steps and _same_configuration_step(steps[0]):
                current = []
            else:
                blind = True
                continue
        for step in steps:
            current = _step(ctx, step, current, holder)
            if not current:
                break
        out.extend(r for r in current if r not in out)
    return out, blind


# --------------------------------------------------------------------------- describing settings


def _shown(path: Path) -> str:
    """A setting as a person reads it in the resource: its last name (``restrict_public_buckets``,
    ``RestrictPublicBuckets``)."""
    names = [p for p in path if isinstance(p, str)]
    return names[-1] if names else "the resource"


def _leaves(spec: Any) -> Iterator[tuple[Any, ...]]:
    """The paths a condition reads (not inside ``where``, whose paths are relative)."""
    if not isinstance(spec, dict):
        return
    if "path" in spec and "where" not in spec:
        yield parse_path(str(spec["path"]))
    for key in ("all", "any"):
        for member in spec.get(key) or []:
            yield from _leaves(member)
    if "not" in spec:
        yield from _leaves(spec["not"])


SETS = "{resource} sets {setting} = {value}"


def _plain(value: Any) -> str:
    """A value as evidence shows it: text as written, everything else as the format writes it."""
    return value if isinstance(value, str) else display(value)


def _describe(res: Resource, spec: Any, unknown_only: bool = False, sets: str = SETS) -> list[Evidence]:
    """What a resource writes for the settings a condition reads (``sets``: how a written
    value is said)."""
    out: list[Evidence] = []
    for parts in _leaves(spec):
        nodes, _ = resolve(res.attrs, parts)
        if nodes:
            for path, value in nodes:
                if isinstance(value, Unknown):
                    out.append(Evidence(f"{res.address} sets {_shown(path)} to a value that is not known", locate(res, path)))
                elif not unknown_only and value is not None:
                    out.append(Evidence(_format(sets, {"resource": res.address, "setting": _shown(path), "value": _plain(value)}), locate(res, path)))
            continue
        if unknown_only or not parts:
            continue
        parents, _ = resolve(res.attrs, parts[:-1])
        if any(isinstance(node, dict) for _, node in parents):
            out.append(Evidence(f"{res.address} leaves {_shown(parts)} unset", res.span))
    return list(dict.fromkeys(out))


def _texts(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _said(texts: Any, res: Resource, path: Path | None) -> list[Evidence]:
    """Evidence lines from a rule's texts; the first is located where the condition held."""
    value = value_at(res.attrs, path) if path is not None else None
    fields = {"resource": res.address, "setting": _shown(path or ()), "value": _plain(value) if value is not None else "not set"}
    out = []
    for i, text in enumerate(_texts(texts)):
        span = (locate(res, path) if path is not None else res.span) if i == 0 else None
        out.append(Evidence(_format(text, fields), span))
    return out


def _format(template: str, fields: dict[str, str]) -> str:
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError):
        return template


# --------------------------------------------------------------------------- the grant's circumstances


class Verdict(Struct):
    """What the circumstances of one grant on one subject decide."""

    severity: Severity | None
    evidence: list[Evidence] = field(default_factory=list)


def _first_true(cond: Condition, resources: list[Resource]) -> tuple[bool | None, Resource | None, Path | None, list[Resource]]:
    """(some resource satisfies it, which, where, the resources where it is unknown)."""
    unknown: list[Resource] = []
    for res in resources:
        t, witnesses = cond.evaluate(res.attrs)
        if t is True:
            return True, res, (witnesses[0] if witnesses else ()), unknown
        if t is None:
            unknown.append(res)
    return (None if unknown else False), None, None, unknown


def circumstances(ctx: Context, holder: Resource, subject: Resource | None, grade: str | None, severity: Severity | None) -> Verdict | None:
    """Requirements, guards and the missing subject for one grant; None when it does not count."""
    params = ctx.params
    evidence: list[Evidence] = []
    missing = subject is None and bool(params.get("link"))
    if missing:
        how = params.get("missing") or {}
        if how.get("skip"):
            return None
        if how.get("severity"):
            severity = Severity.parse(how["severity"])
        if how.get("evidence"):
            evidence.append(Evidence(how["evidence"]))
    for req in params.get("requires") or []:
        said = _required(ctx, req, holder, subject, missing)
        if said is None:
            return None
        evidence.extend(said)
    for guard in params.get("guards") or []:
        if guard.get("only") and grade not in guard["only"]:
            continue
        stops, lowered, said = _guarded(ctx, guard, holder, subject)
        if stops:
            return None
        if lowered is not None and (severity is None or lowered < severity):
            severity = lowered
        evidence.extend(said)
    evidence.extend(Evidence(text) for text in _texts(params.get("evidence")))
    return Verdict(severity, list(dict.fromkeys(evidence)))


def _required(ctx: Context, req: dict[str, Any], holder: Resource, subject: Resource | None, missing: bool) -> list[Evidence] | None:
    """The evidence that a requirement holds; None when it does not (or is not known)."""
    reached, blind = reach(ctx, req.get("at"), holder, subject)
    if not reached:
        # the subject's settings are not known: `missing` says what to do
        return [] if blind and missing else None
    holds, where, path, _ = _first_true(_condition(req["when"]), reached)
    if holds is not True or where is None:
        return None
    return _said(req["evidence"], where, path) if req.get("evidence") else _describe_at(where, path or ())


def _guarded(ctx: Context, guard: dict[str, Any], holder: Resource, subject: Resource | None) -> tuple[bool, Severity | None, list[Evidence]]:
    """(the guard stops the finding, the severity it lowers it to, what to say)."""
    reached, blind = reach(ctx, guard.get("at"), holder, subject)
    spec = guard.get("when", guard.get("unless"))
    holds, where, path, unknown = _first_true(_condition(spec), reached)
    if "unless" in guard:
        # holds when something is reached and none of it satisfies the condition
        holds = False if holds is True else (None if holds is None else bool(reached))
        where, path = (reached[0] if reached else None), None
    if holds is None:
        if guard.get("unknown_stops"):
            return True, None, []
        said = [e for res in unknown[:2] for e in _describe(res, spec, unknown_only=True) or [Evidence(f"what {res.address} sets here is not known", res.span)]]
        return False, None, said
    if holds:
        if not guard.get("severity"):
            return True, None, []  # the control stops it
        return False, Severity.parse(guard["severity"]), (_said(guard.get("evidence"), where, path) if where is not None else [])
    if reached and "otherwise" in guard:
        text = guard["otherwise"]
        return False, None, ([Evidence(_format(text, {"resource": reached[0].address}), reached[0].span)] if text else [])
    shown = [e for res in reached for e in _describe(res, spec, sets=guard.get("shows", SETS))][:4]
    if not shown and guard.get("unreached") and not blind:
        shown = [Evidence(guard["unreached"])]
    return False, None, shown


def _describe_at(res: Resource, path: Path) -> list[Evidence]:
    value = value_at(res.attrs, path)
    if value is None:
        return [Evidence(f"{res.address} leaves {_shown(path)} unset", res.span)]
    return [Evidence(_format(SETS, {"resource": res.address, "setting": _shown(path), "value": _plain(value)}), locate(res, path))]


def subjects(ctx: Context, holder: Resource) -> list[Resource | None]:
    """What the judged resource exposes: itself, the resources its link settings point at, or
    [None] when it links to something that is not in the scanned code."""
    links = _settings(ctx.params.get("link"))
    if not links:
        return [holder]
    types = ctx.related("subject")
    for setting in links:
        found = ctx.graph.linked(holder, setting, types, by_name=ctx.params.get("by_name", True), name_setting=ctx.params.get("subject_name", "name"))
        if found:
            return list(found)
    return [None]


def _subject_text(ctx: Context, holder: Resource, subject: Resource | None) -> str:
    """``<label> <address>``; for a subject not in the scanned code, the name its link
    writes (``Lambda function partner-webhook``) or ``the <label> of <holder>``."""
    label = ctx.params.get("label", "resource")
    if subject is not None:
        return f"{label} {subject.address}"
    for setting in _settings(ctx.params.get("link")):
        value = holder.setting(setting)
        if isinstance(value, str) and not isinstance(value, JsonString) and value.strip():
            return f"{label} {value.strip()}"
    return f"the {label} of {holder.address}"


def _hit(ctx: Context, holder: Resource, subject: Resource | None, path: Path, value: Any, grade: str | None, severity: Severity | None, facts: dict[str, str], evidence: list[Evidence]) -> Hit | None:
    verdict = circumstances(ctx, holder, subject, grade, severity)
    if verdict is None:
        return None
    facts = {"subject": _subject_text(ctx, holder, subject), "holder": holder.address, **facts}
    if ctx.params.get("named"):
        named = holder.setting(ctx.params["named"])
        facts["named"] = str(named) if isinstance(named, (str, int, float)) else "(not known)"
    exposed = subject if ctx.params.get("exposes", "subject") == "subject" else None
    return Hit(
        holder,
        path,
        subject=exposed if exposed is not None and exposed is not holder else None,
        evidence=evidence + verdict.evidence,
        severity=verdict.severity,
        value=value,
        facts=facts,
    )


# --------------------------------------------------------------------------- public-policy

GRADE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "description": "a name guards can refer to (`only`)"},
        "actions": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}, "description": "the actions of this grade (globs allowed, both ways: `s3:Get*` in a statement allows `s3:GetObject`)"},
        "others": {"const": True, "description": "this grade takes a statement that allows any action outside every other grade's `actions` (`lambda:*`, `NotAction`)"},
        "when": {**CONDITION, "description": "the grade applies only when this holds on the judged resource"},
        "severity": {**SEVERITY, "description": "the finding's severity (default: the rule's)"},
        "what": {"type": "string", "description": "what anyone may do, for the message's `{what}` (`{actions}`: the statement's actions, `{granted}`: this grade's actions it allows, `{allowed}`: every graded action it allows)"},
    },
    "oneOf": [{"required": ["actions"]}, {"required": ["others"]}],
}
POLICY_PARAMS = _schema(
    {
        "policy": {"type": "string", "minLength": 1, "description": "the setting holding the policy document (JSON text, `jsonencode`, a policy document data source, a CloudFormation map)"},
        "permission": {
            "type": "object",
            "additionalProperties": False,
            "required": ["principal", "action"],
            "description": "a permission written as settings instead of a document (a Lambda permission): one statement",
            "properties": {
                "principal": {"type": "string", "minLength": 1, "description": "the setting naming who is allowed (`*`: everyone)"},
                "action": {"type": "string", "minLength": 1, "description": "the setting naming the action allowed"},
                "scope": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "settings that, when written (even with a value not known yet), limit who can use it"},
            },
        },
        "grades": {"type": "array", "minItems": 1, "items": GRADE, "description": "what a public statement allows, in order: the first grade it reaches decides its severity; a statement that reaches none is not reported. Omit to count every public statement"},
        "not_limiting": {"type": "array", "items": {"type": "string"}, "description": "condition keys that do not narrow who in this question"},
    }
)
POLICY_PARAMS["oneOf"] = [{"required": ["policy"]}, {"required": ["permission"]}]


def _grade(ctx: Context, holder: Resource, grant: PublicGrant) -> tuple[dict[str, Any], list[str]] | None:
    """The grade that decides a public statement, and the actions of it that the statement allows."""
    grades = ctx.params.get("grades") or [{}]
    listed = [a for g in grades for a in g.get("actions", ())]
    for g in grades:
        if "when" in g and _condition(g["when"]).evaluate(holder.attrs)[0] is not True:
            continue
        if g.get("others"):
            if "NotAction" in grant.statement:
                return g, grant.actions
            outside = [a for a in written_actions(grant.statement) if not covered([a], listed)]
            if outside:
                return g, outside
            continue
        if "actions" not in g:
            return g, grant.actions
        matched = granted(grant, g["actions"])
        if matched:
            return g, matched
    return None


def _allowed(ctx: Context, grant: PublicGrant) -> list[str]:
    """Every action the grades list that the statement allows."""
    listed = list(dict.fromkeys(a for g in ctx.params.get("grades") or [] for a in g.get("actions", ())))
    return granted(grant, listed) or grant.actions


def _sensitive(ctx: Context) -> list[str] | None:
    grades = ctx.params.get("grades")
    if not grades or any(g.get("others") or "actions" not in g for g in grades):
        return None
    return [a for g in grades for a in g["actions"]]


def _permission_grant(res: Resource, spec: dict[str, Any]) -> tuple[PublicGrant, list[Evidence]] | None:
    principal = res.setting(spec["principal"])
    if principal_is_public(principal) is not True:
        return None
    scope = _settings(spec.get("scope"))
    if any(res.setting(s) is not None for s in scope):
        return None  # scoped (a value not known yet counts as a scope)
    action = res.setting(spec["action"])
    if not isinstance(action, str):
        return None
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    grant = PublicGrant(0, statement, res.setting_path(spec["principal"]), [action], f"principal {display(principal)}")
    names = [_shown(res.setting_path(s)) for s in scope]
    return grant, ([Evidence(f"no {', '.join(names)} limits the caller")] if names else [])


@named_check("public-policy", POLICY_PARAMS)
def public_policy(ctx: Context, res: Resource) -> Iterator[Hit]:
    """An IAM-style resource policy (or a permission written as settings) lets everyone in,
    graded by the actions it allows.

    A statement lets everyone in when it allows actions to `"*"`, `{"AWS": "*"}`, an account
    wildcard or any `NotPrincipal`, no condition pins the caller (`aws:SourceVpce`,
    `aws:PrincipalOrgID`, `aws:SourceArn`…; `…IfExists`, `*` values and internet-wide ranges
    do not), and no Deny of the same policy turns away everyone outside a named network,
    organisation or account (linter/policy.py). The policy is read from the `policy` setting
    of the judged resource, or built from a `permission`'s settings. Each such statement is
    graded by the first of `grades` whose actions it allows (`others`: any action no grade
    lists) and reported on its principal, once per subject, after the requirements and
    guards. Message facts: `{subject}`, `{holder}`, `{principal}`, `{actions}` (what the
    statement allows, as written), `{granted}` (the deciding grade's actions it allows),
    `{allowed}` (every action of the grades it allows), `{what}` (the grade's text)."""
    params = ctx.params
    base: Path = ()
    if "permission" in params:
        made = _permission_grant(res, params["permission"])
        if made is None:
            return
        grants, extra = [made[0]], made[1]
    else:
        base = res.setting_path(params["policy"])
        policy = value_at(res.attrs, base)
        if policy is None:
            return
        grants, extra = public_grants(policy, _sensitive(ctx), params.get("not_limiting", ())), []
    for grant in grants:
        decided = _grade(ctx, res, grant)
        if decided is None:
            continue
        grade, matched = decided
        severity = Severity.parse(grade["severity"]) if grade.get("severity") else None
        facts = {"principal": grant.reason, "actions": describe_actions(grant.actions), "granted": describe_actions(matched), "allowed": describe_actions(_allowed(ctx, grant))}
        facts["what"] = _format(grade.get("what", "{actions}"), facts)
        for subject in subjects(ctx, res):
            hit = _hit(ctx, res, subject, base + grant.path, grant.principal, grade.get("name"), severity, facts, list(extra))
            if hit is not None:
                yield hit


# --------------------------------------------------------------------------- public-value

PUBLIC = {
    "type": "object",
    "additionalProperties": False,
    "required": ["equals", "means"],
    "properties": {
        "equals": {"type": ["string", "boolean", "number"], "description": "the value (strings compare case-insensitively, `true` equals \"true\")"},
        "means": {"type": "string", "minLength": 1, "description": "what it lets anyone do, for `{means}`"},
        "severity": {**SEVERITY, "description": "the finding's severity (default: the rule's)"},
        "name": {"type": "string", "minLength": 1, "description": "a name guards can refer to (`only`)"},
    },
}
VALUE_PARAMS = _schema(
    {
        "values": {
            "type": "array",
            "minItems": 1,
            "description": "where the judged resource can write a public grant",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path", "public"],
                "properties": {
                    "path": {**SETTINGS, "description": "a path as the format writes it (`[*]` for every element); a list: alternative spellings (renamed settings), the first written decides"},
                    "item": {"type": "string", "minLength": 1, "description": "inside each node at `path`, where the value is (`grantee[0].uri`)"},
                    "detail": {"type": "string", "minLength": 1, "description": "inside each node at `path`, a value the description names (`{detail}`, e.g. the permission granted)"},
                    "default": {"type": ["string", "boolean", "number"], "description": "the value when none of the paths is written (a provider default; `{value}` then says so)"},
                    "default_evidence": {"type": "string", "description": "said when the default decided"},
                    "says": {"type": "string", "description": "how the grant is described, for `{grant}` (`{setting}`, `{value}`, `{means}`, `{detail}`)"},
                    "public": {"type": "array", "minItems": 1, "items": PUBLIC, "description": "the values that grant public access"},
                },
            },
        }
    },
    required=["values"],
)


def _written(res: Resource, spec: dict[str, Any]) -> Iterator[tuple[Path, Any, Any, bool]]:
    """(path, value, detail, defaulted) for each grant value the resource writes."""
    for text in _settings(spec["path"]):
        nodes, _ = resolve(res.attrs, parse_path(text))
        nodes = [(p, v) for p, v in nodes if v is not None]
        if not nodes:
            continue
        for path, node in nodes:
            if "item" in spec:
                for sub, value in resolve(node, parse_path(spec["item"]), path)[0]:
                    detail = value_at(node, parse_path(spec["detail"])) if "detail" in spec and isinstance(node, dict) else None
                    yield sub, value, detail, False
            else:
                yield path, node, None, False
        return
    if "default" in spec:
        yield parse_path(_settings(spec["path"])[0]), spec["default"], None, True


@named_check("public-value", VALUE_PARAMS)
def public_value(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A setting's value opens the resource to everyone: a canned ACL, a grant to a public
    group, an anonymous access level or switch; graded by the value.

    Each entry of `values` names where the grant is written (a path, `[*]` for every element,
    with `item` for the value inside each element) and which values are public, each with
    what it lets anyone do (`means`) and optionally a severity. A value not known is never
    reported. The finding is located on the value, once per subject, after the
    requirements and guards (an S3 ACL is stopped by `ignore_public_acls` or
    `BucketOwnerEnforced`; a container's grade depends on its account's network rules).
    Message facts: `{subject}`, `{holder}`, `{grant}` (the entry's `says`), `{means}`,
    `{value}`, `{setting}`, `{detail}`."""
    for spec in ctx.params["values"]:
        for path, value, detail, defaulted in _written(res, spec):
            if isinstance(value, Unknown):
                continue
            match = next((p for p in spec["public"] if loose_equal(value, p["equals"])), None)
            if match is None:
                continue
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            if defaulted:
                shown += " by default (not set)"
            fields = {"setting": _shown(path), "value": shown, "means": match["means"], "detail": str(detail) if detail is not None else "access"}
            facts = {"setting": fields["setting"], "means": fields["means"], "detail": fields["detail"], "grant": _format(spec.get("says", "{setting} = {value}"), fields)}
            extra = [Evidence(spec["default_evidence"])] if defaulted and spec.get("default_evidence") else []
            severity = Severity.parse(match["severity"]) if match.get("severity") else None
            for subject in subjects(ctx, res):
                hit = _hit(ctx, res, subject, path, value, match.get("name"), severity, facts, list(extra))
                if hit is not None:
                    yield hit


# --------------------------------------------------------------------------- protection-off

PROTECTION_PARAMS = _schema(
    {
        "settings": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}, "description": "the protections, as paths the format writes; each is on only when it reads true (a protection not written is off)"},
        "also": {**PLACES, "description": "other places that turn a protection on for the subject (the account-level block)"},
        "sufficient": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
            "description": "sets of `settings` that together neutralise every public grant (S3: ignore public ACLs and restrict public buckets): when every protection of one set is on, here or through `also`, the others being off opens nothing and is not reported",
        },
        "scope": {"type": "string", "description": "what the protections cover, for `{scope}` (`its bucket`)"},
    },
    required=["settings"],
)


@named_check("protection-off", PROTECTION_PARAMS)
def protection_off(ctx: Context, res: Resource) -> Iterator[Hit]:
    """A resource that exists to stop public grants leaves some of its protections off.

    Each of `settings` is a protection that is on only when it reads true; one that is not
    written is off, one whose value is not known is not reported. A protection that another
    place turns on for the same subject (`also`: the account-level public access block) is
    not reported either. The finding is located on the first protection written off (else
    on the block that holds them), with the subject found through `link`. Message facts:
    `{holder}`, `{subject}`, `{scope}`, `{off}` (the protections off, as written)."""
    paths = [parse_path(s) for s in ctx.params["settings"]]
    off: list[tuple[Any, ...]] = []
    for path in paths:
        value = value_at(res.attrs, path)
        if isinstance(value, Unknown) or truth(value) is True:
            continue
        off.append(path)
    if not off:
        return
    found = subjects(ctx, res)
    subject = found[0] if found else None
    evidence: list[Evidence] = []
    if ctx.params.get("also"):
        others = [o for o in reach(ctx, ctx.params["also"], res, subject)[0] if o is not res]
        still = []
        for path in off:
            source = next((o for o in others if truth(value_at(o.attrs, path)) is True), None)
            if source is None:
                still.append(path)
            else:
                evidence.append(Evidence(f"{source.address} turns {_shown(path)} on for the account", source.span))
        off = still
        if not off:
            return
    for names in ctx.params.get("sufficient", ()):
        if not any(parse_path(name) in off for name in names):
            return  # these protections alone neutralise every public grant: nothing is reachable
    if subject is not None and subject is not res:
        evidence.insert(0, Evidence(f"applies to {subject.address}", subject.span))
    written = [p for p in off if value_at(res.attrs, p) is not None]
    if len(written) < len(off):
        evidence.append(Evidence("a flag that is not written is off once a block is configured"))
    described = ", ".join(f"{_shown(p)} = false" if p in written else f"{_shown(p)} (unset, so off)" for p in off)
    location = written[0] if written else off[0][:-1]
    facts = {"off": described, "scope": ctx.params.get("scope", "it"), "holder": res.address, "subject": _subject_text(ctx, res, subject)}
    yield Hit(
        res,
        location,
        subject=subject if subject is not None and subject is not res else None,
        evidence=evidence,
        value=[_shown(p) for p in off],
        facts=facts,
    )
