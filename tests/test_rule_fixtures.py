"""Every rule on every one of its fixture cases: the set of reported lines must equal the set
of lines marked ``# expect: <rule-id>`` (``//`` also works in HCL; ``# expect@N: <rule-id>``
marks line N, for a line that cannot hold a comment, such as JSON inside a heredoc;
``<rule-id>=<severity>`` also checks the finding's severity, ``<rule-id>=<verdict>`` its
verdict, ``<rule-id>=<severity>/<verdict>`` both). Pass cases must give no
finding for the rule. Lines are compared as sets, so a finding that drifts to another line
fails the test even when the count is right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FIXTURES, copy_case

from linter.config import RunConfig
from linter.engine import run
from linter.ruleset import RuleSet

MARKER = re.compile(r"(?:#|//)\s*expect(?:@(\d+))?:\s*([a-z0-9=/-]+(?:\s*,\s*[a-z0-9=/-]+)*)")
VERDICTS = ("exposed", "default", "conditional", "posture")


def cases() -> list[tuple[str, str, Path]]:
    out = []
    for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for kind in ("fail", "pass"):
            folder = rule_dir / kind
            if folder.is_dir():
                out.extend((rule_dir.name, kind, case) for case in sorted(folder.iterdir()) if not case.name.startswith("."))
    return out


def expected(root: Path, rule_id: str) -> tuple[set[tuple[str, int]], dict[tuple[str, int], str], dict[tuple[str, int], str]]:
    """The marked lines, the severities given as ``# expect: <rule-id>=<severity>`` and the
    verdicts given as ``# expect: <rule-id>=<verdict>`` (or ``=<severity>/<verdict>``)."""
    lines: set[tuple[str, int]] = set()
    severities: dict[tuple[str, int], str] = {}
    verdicts: dict[tuple[str, int], str] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            m = MARKER.search(line)
            if not m:
                continue
            for item in (x.strip() for x in m.group(2).split(",")):
                name, _, given = item.partition("=")
                if name != rule_id:
                    continue
                # "# expect@N: id" marks line N, for lines that cannot hold a comment (JSON)
                key = (path.relative_to(root).as_posix(), int(m.group(1)) if m.group(1) else number)
                lines.add(key)
                for word in filter(None, given.split("/")):
                    (verdicts if word in VERDICTS else severities)[key] = word
    return lines, severities, verdicts


@pytest.mark.parametrize(("rule_id", "kind", "case"), cases(), ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_rule_case(rule_id: str, kind: str, case: Path, rules: RuleSet, tmp_path: Path) -> None:
    assert rules.get(rule_id) is not None, f"fixture folder {rule_id} has no rule"
    root = copy_case(case, tmp_path)
    result = run(RunConfig(paths=[str(root)], select=[rule_id]), rules)
    assert not result.errors, f"fixture {case} has input errors: {result.errors}"
    reported = {(Path(f.span.file).relative_to(root).as_posix(), f.span.line): f for f in result.findings if f.rule_id == rule_id}
    got = set(reported)
    want, severities, verdicts = expected(root, rule_id)
    if kind == "pass":
        assert not want, f"pass case {case} must not carry expect markers"
        assert got == set(), f"{rule_id} fired on a pass case: {[f.message for f in result.findings]}"
    else:
        assert want, f"fail case {case} has no '# expect: {rule_id}' marker"
        assert got == want, f"lines differ for {case.name}: reported {sorted(got)}, expected {sorted(want)}; messages: {[f.message for f in result.findings]}"
        for key, severity in severities.items():
            assert str(reported[key].severity) == severity, f"{case.name}:{key[1]}: severity {reported[key].severity}, expected {severity}"
        for key, verdict in verdicts.items():
            assert reported[key].verdict == verdict, f"{case.name}:{key[1]}: verdict {reported[key].verdict} ({reported[key].verdict_reason}), expected {verdict}"
