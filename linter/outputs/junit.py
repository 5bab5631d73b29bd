"""``--format junit``: JUnit XML for CI test-report views (GitLab, Jenkins, Azure DevOps, …).

One ``<testsuite>`` per rule (named by its id, sorted), because CI views group failures by
suite and class: "which checks fail" reads better than a suite per file, and rule ids have
no dots, so Jenkins does not split them into packages as it would ``main.tf``.

- each active finding is a ``<testcase>`` (``classname`` = rule id, ``name`` =
  ``file:line resource``, ``file`` and ``line`` attributes) with one ``<failure>``:
  ``message`` is the finding's message, ``type`` its severity, and the text gives the
  place, the message, the verdict, the evidence and the fix;
- posture findings (one step away) do not fail the run unless it is strict, so they are
  ``<skipped>`` with ``one step away: <why>`` as message and the same text (a strict run
  makes them failures like the others);
- accepted, suppressed, baseline and pre-existing findings are ``<skipped>`` with the
  reason as message;
- input errors are test cases of a ``seawall.input`` suite with an ``<error>``;
- a scan with nothing to report has one passing test case, so CI shows that it ran.

The XML is built with ``xml.etree.ElementTree``; characters XML 1.0 cannot hold (control
characters from scanned values) are written as ``\\xNN``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from linter.model import Finding, InputError, ScanResult, format_path
from linter.outputs.paths import report_path
from linter.ruleset import RuleSet
from linter.verdicts import blocking, label

INPUT_SUITE = "seawall.input"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _element(tag: str, parent: ET.Element | None = None, text: str | None = None, **attrs: object) -> ET.Element:
    values = {k: clean(str(v)) for k, v in attrs.items() if v is not None}
    el = ET.Element(tag, values) if parent is None else ET.SubElement(parent, tag, values)
    if text is not None:
        el.text = clean(text)
    return el


def details(f: Finding) -> str:
    lines = [f"{report_path(f.span.file)}:{f.span.line}:{f.span.column}: {str(f.severity).upper()} {f.rule_id}", f.message]
    if f.resource:
        lines.append(f"resource: {f.resource}" + (f" ({format_path(f.path)})" if f.path else ""))
    lines.append(f"verdict: {label(f.verdict)}" + (f": {f.verdict_reason}" if f.verdict_reason else ""))
    for e in f.evidence:
        where = f"  [{report_path(e.span.file)}:{e.span.line}]" if e.span else ""
        lines.append(f"evidence: {e.message}{where}")
    if f.fix is not None:
        lines.append(f"safe fix: {f.fix.title}: replace {report_path(f.fix.span.file)}:{f.fix.span.line} with `{f.fix.replacement}`")
    if f.remediation:
        lines.append("fix: " + " ".join(f.remediation.split()))
    return "\n".join(lines)


def _case(suite: ET.Element, f: Finding, strict: bool) -> None:
    path = report_path(f.span.file)
    name = f"{path}:{f.span.line}" + (f" {f.resource}" if f.resource else "")
    case = _element("testcase", suite, name=name, classname=f.rule_id, file=path, line=f.span.line, time="0")
    if f.active and blocking(f, strict):
        _element("failure", case, details(f), message=f.message, type=str(f.severity))
    elif f.active:
        why = f.verdict_reason or "nothing is reachable through it today"
        _element("skipped", case, details(f), message=f"{label(f.verdict)}: {why} (fails the run only with --strict)")
    elif f.suppression is not None:
        _element("skipped", case, message=f.suppression.describe())


def _error_case(suite: ET.Element, e: InputError) -> None:
    path = report_path(e.file)
    case = _element("testcase", suite, name=f"{path}:{e.line}", classname=INPUT_SUITE, file=path, line=e.line, time="0")
    _element("error", case, f"{path}:{e.line}:{e.column}: {e.message}", message=e.message, type=e.kind)


def _suite(parent: ET.Element, name: str, cases: int, failures: int, errors: int, skipped: int) -> ET.Element:
    return _element("testsuite", parent, name=name, tests=cases, failures=failures, errors=errors, skipped=skipped, time="0")


def render(result: ScanResult, rules: RuleSet) -> str:
    findings = sorted(result.findings, key=lambda f: (f.sort_key(), f.message))
    errors = sorted(result.errors, key=lambda e: e.sort_key())
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    failures = sum(1 for f in findings if f.active and blocking(f, result.strict))
    skipped = len(findings) - failures
    tests = len(findings) + len(errors) or 1
    root = _element("testsuites", name="seawall", tests=tests, failures=failures, errors=len(errors), skipped=skipped, time="0")
    for rule_id in sorted(by_rule):
        group = by_rule[rule_id]
        failing = sum(1 for f in group if f.active and blocking(f, result.strict))
        suite = _suite(root, rule_id, len(group), failing, 0, len(group) - failing)
        rule = rules.get(rule_id)
        if rule is not None:
            props = _element("properties", suite)
            _element("property", props, name="title", value=rule.title)
            _element("property", props, name="severity", value=str(rule.severity))
        for f in group:
            _case(suite, f, result.strict)
    if errors:
        suite = _suite(root, INPUT_SUITE, len(errors), 0, len(errors), 0)
        for e in errors:
            _error_case(suite, e)
    if not findings and not errors:
        suite = _suite(root, "seawall", 1, 0, 0, 0)
        n, r = result.files_scanned, result.resources
        _element("testcase", suite, name=f"no findings in {n} file{'s' if n != 1 else ''} and {r} resource{'s' if r != 1 else ''}", classname="seawall", time="0")
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True).decode("utf-8") + "\n"
