"""Every rule is finished: documented, and proven in both directions for each format it covers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FIXTURES

from linter.discover import DOCUMENT_SUFFIXES, classify_document
from linter.ruleset import RuleError, RuleSet, builtin_dir, load_rules, parse_rule


def case_formats(case: Path) -> set[str]:
    """The input formats a fixture case holds, as seawall's own discovery sees them."""
    files = [case] if case.is_file() else [p for p in case.rglob("*") if p.is_file()]
    formats = set()
    for f in files:
        if f.suffix == ".tf":
            formats.add("terraform")
        elif f.suffix in DOCUMENT_SUFFIXES:
            kind = classify_document(str(f))
            if kind in ("cloudformation", "kubernetes"):
                formats.add(kind)
            elif kind == "terraform-plan":
                formats.add("terraform")
    return formats


def test_every_rule_has_fixtures_both_ways(rules: RuleSet) -> None:
    problems = []
    for rule in rules:
        folder = FIXTURES / rule.id
        fails = sorted((folder / "fail").iterdir()) if (folder / "fail").is_dir() else []
        passes = sorted((folder / "pass").iterdir()) if (folder / "pass").is_dir() else []
        if not fails:
            problems.append(f"{rule.id}: no fail case")
        if not passes:
            problems.append(f"{rule.id}: no pass case")
        covered = set().union(*(case_formats(c) for c in fails)) if fails else set()
        for fmt in rule.formats:
            if fmt not in covered:
                problems.append(f"{rule.id}: no fail case for {fmt}")
    assert not problems, "\n".join(problems)


def kubernetes_shapes(case: Path) -> set[str]:
    """The shapes of Kubernetes input a fixture case holds besides plain manifests: a Helm
    chart (a folder with a `Chart.yaml`) and a Kustomize overlay (two or more
    kustomizations: an overlay and the base it builds on)."""
    if not case.is_dir():
        return set()
    shapes = set()
    if any(case.rglob("Chart.yaml")):
        shapes.add("chart")
    if len([p for name in ("kustomization.yaml", "kustomization.yml", "Kustomization") for p in case.rglob(name)]) >= 2:
        shapes.add("kustomize-overlay")
    return shapes


def test_kubernetes_rules_have_every_shape_both_ways(rules: RuleSet) -> None:
    """Issue 16: each Kubernetes rule has fail and pass cases as a manifest, a Kustomize
    overlay, a chart, and in the Terraform kubernetes provider when it has a clause there."""
    problems = []
    for rule in rules:
        if "kubernetes" not in rule.formats:
            continue
        for kind in ("fail", "pass"):
            folder = FIXTURES / rule.id / kind
            cases = sorted(folder.iterdir()) if folder.is_dir() else []
            have = set().union(set(), *(case_formats(c) | kubernetes_shapes(c) for c in cases))
            for want in ("kubernetes", "chart", "kustomize-overlay", *(["terraform"] if "terraform" in rule.formats else [])):
                if want not in have:
                    problems.append(f"{rule.id}: no {kind} case for {want}")
    assert not problems, "\n".join(problems)


def test_every_fixture_folder_has_a_rule(rules: RuleSet) -> None:
    orphans = [p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("_") and rules.get(p.name) is None]
    assert not orphans


def test_rule_ids_match_files_and_docs_are_complete(rules: RuleSet) -> None:
    for rule in rules:
        assert Path(rule.source).stem == rule.id
        assert rule.description and rule.remediation and rule.references
        assert rule.severity is not None
        assert rule.formats


def test_python_companions_belong_to_rules() -> None:
    stems = {Path(f).stem.replace("-", "_") for f in os.listdir(builtin_dir()) if f.endswith(".yaml")}
    companions = {Path(f).stem for f in os.listdir(builtin_dir()) if f.endswith(".py") and f != "__init__.py"}
    assert companions <= stems, f"companion modules without a rule: {sorted(companions - stems)}"


def _rule_data(**overrides):
    data = {
        "id": "test-rule-example",
        "title": "An example rule for tests",
        "severity": "high",
        "description": "A description long enough to satisfy the schema's minimum.",
        "remediation": "Fix it in the obvious way, please.",
        "references": ["https://example.com/doc"],
        "match": {"terraform": {"type": "aws_s3_bucket", "when": {"path": "acl", "equals": "public-read"}}},
    }
    data.update(overrides)
    return data


def test_schema_errors_name_the_file_and_field() -> None:
    with pytest.raises(RuleError) as exc:
        parse_rule(_rule_data(severity="urgent"), "/x/test-rule-example.yaml", builtin=False)
    assert "test-rule-example.yaml" in str(exc.value)
    assert "severity" in str(exc.value)


def test_id_must_equal_file_name() -> None:
    with pytest.raises(RuleError, match="must equal the file name"):
        parse_rule(_rule_data(), "/x/other-name.yaml", builtin=False)


def test_bad_condition_is_reported() -> None:
    data = _rule_data(match={"terraform": {"type": "x", "when": {"path": "a", "equals": 1, "in": [1]}}})
    with pytest.raises(RuleError, match="exactly one operator"):
        parse_rule(data, "/x/test-rule-example.yaml", builtin=False)


def test_user_rules_cannot_run_python(tmp_path: Path) -> None:
    data = _rule_data(check="python")
    with pytest.raises(RuleError, match="only allowed in seawall's built-in rules"):
        parse_rule(data, str(tmp_path / "test-rule-example.yaml"), builtin=False)


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "aws-s3-bucket-public-acl.yaml").write_text(yaml.safe_dump(_rule_data(id="aws-s3-bucket-public-acl")))
    with pytest.raises(RuleError, match="already used"):
        load_rules([str(tmp_path)])


def test_every_companion_imports_and_has_a_check(rules: RuleSet) -> None:
    import importlib

    for rule in rules:
        if rule.check == "python":
            module = importlib.import_module("linter.rules." + rule.id.replace("-", "_"))
            assert callable(getattr(module, "check", None)), rule.id


def test_python_one_offs_say_why(rules: RuleSet) -> None:
    import yaml

    for rule in rules:
        if rule.check == "python":
            data = yaml.safe_load(Path(rule.source).read_text())
            assert len(str(data.get("why", "")).strip()) >= 20, f"{rule.id}: a check: python rule says why it cannot be data (why:)"


def test_every_named_check_is_documented_and_used(rules: RuleSet) -> None:
    from linter.checks import registry

    used = {r.check for r in rules}
    problems = []
    for name, check in registry().items():
        if not check.summary or not check.doc:
            problems.append(f"{name}: needs a one-line summary and a paragraph of docs (its docstring)")
        for key, schema in check.params.get("properties", {}).items():
            if not str(schema.get("description", "")).strip() and key not in ("from", "to"):
                problems.append(f"{name}: param {key} has no description")
        if name not in used:
            problems.append(f"{name}: no rule uses it")
    assert not problems, "\n".join(problems)


def test_bad_params_name_the_rule_file_and_field(tmp_path: Path) -> None:
    data = _rule_data(check="internet-ingress", params={"what": "group", "sources": ["cidr_blocks"], "ports": {"from": "a", "to": "b"}, "grades": {"critical": "urgent"}})
    data["match"] = {"terraform": {"type": "aws_security_group", "related": {"group": ["aws_security_group"]}}}
    with pytest.raises(RuleError) as exc:
        parse_rule(data, "/x/test-rule-example.yaml", builtin=False)
    assert "test-rule-example.yaml: params.grades.critical" in str(exc.value) and "internet-ingress" in str(exc.value)
    data["params"] = {"what": "group", "sources": ["cidr_blocks"]}
    data["match"]["terraform"]["params"] = {"ports": {"from": "a", "to": "b"}, "bogus": 1}
    with pytest.raises(RuleError, match=r"params \(for match.terraform\)"):
        parse_rule(data, "/x/test-rule-example.yaml", builtin=False)
    with pytest.raises(RuleError, match="unknown check 'no-such-check'"):
        parse_rule(_rule_data(check="no-such-check"), "/x/test-rule-example.yaml", builtin=False)


def test_conditions_inside_params_are_compiled_at_load() -> None:
    """A condition in params (ingress `only`, grant guards) is checked like `when`: a bad one
    is an error naming the rule file and field when the rule is loaded, not at run time."""
    params = {"what": "group", "sources": ["cidr_blocks"], "ports": {"from": "a", "to": "b"}, "only": {"path": "type", "equals": "ingress", "in": ["x"]}}
    data = _rule_data(check="internet-ingress", params=params)
    data["match"] = {"terraform": {"type": "aws_security_group"}}
    with pytest.raises(RuleError) as exc:
        parse_rule(data, "/x/test-rule-example.yaml", builtin=False)
    assert "test-rule-example.yaml: params.only" in str(exc.value) and "exactly one operator" in str(exc.value)
    params["only"] = {"path": "name", "matches": "(unclosed"}
    with pytest.raises(RuleError, match=r"params\.only"):
        parse_rule(data, "/x/test-rule-example.yaml", builtin=False)


def test_a_key_written_twice_is_an_error_with_its_line(tmp_path: Path) -> None:
    """YAML keeps the last of two equal keys silently; a rule author meant both. A key a
    `<<` merge brought in may still be overridden (the anchors of the built-in rules do)."""
    import yaml

    text = yaml.safe_dump(_rule_data(id="acme-twice"), sort_keys=False)
    (tmp_path / "acme-twice.yaml").write_text(text + "severity: low\n")
    with pytest.raises(RuleError) as err:
        load_rules([str(tmp_path)], builtin=False)
    line = len(text.splitlines()) + 1
    assert f"acme-twice.yaml: line {line}: key 'severity' is written twice" in str(err.value)
    merged = "match:\n  terraform: {type: aws_s3_bucket, when: {<<: {path: acl, equals: private}, equals: public-read}}\n"
    data = _rule_data(id="acme-twice")
    del data["match"]
    (tmp_path / "acme-twice.yaml").write_text(yaml.safe_dump(data, sort_keys=False) + merged)
    assert [r.id for r in load_rules([str(tmp_path)], builtin=False)] == ["acme-twice"]


def test_rules_yield_only_to_rules_that_exist(rules: RuleSet) -> None:
    """`yields_to` names the rules whose exposure makes a posture finding redundant; a
    misspelt id would silently keep the redundant finding."""
    for rule in rules:
        missing = [t for t in rule.yields_to if t not in rules.by_id]
        assert not missing, f"{rule.id} yields to unknown rules {missing}"
    assert any(r.yields_to for r in rules)
