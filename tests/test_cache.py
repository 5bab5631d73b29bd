"""The cache: same results from the cache, safe when broken, off with --no-cache."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from linter.cache import FORMAT, Cache, use
from linter.config import RunConfig
from linter.engine import run
from linter.model import Severity
from linter.ruleset import RuleSet


def _findings(result):
    return [(f.rule_id, f.span, f.message, f.evidence) for f in result.findings]


def test_cached_scan_equals_uncached_scan(rules: RuleSet, tmp_path: Path) -> None:
    cache = Cache(root=tmp_path / "cache")
    use(cache)
    paths = [str(ROOT / "examples"), str(FIXTURES / "aws-s3-bucket-public-policy"), str(FIXTURES / "k8s-service-public-load-balancer"), str(FIXTURES / "aws-s3-bucket-public-acl" / "fail")]
    # one process: the counters are this process's (workers keep their own)
    cold = run(RunConfig(paths=paths, workers=1), rules)
    assert cache.misses > 0 and cache.hits == 0
    warm = run(RunConfig(paths=paths, workers=1), rules)
    assert cache.hits > 0
    assert _findings(run(RunConfig(paths=paths, workers=2), rules)) == _findings(warm)
    assert _findings(cold) == _findings(warm) and cold.errors == warm.errors and cold.notes == warm.notes
    uncached = run(RunConfig(paths=paths, cache=False), rules)
    assert _findings(uncached) == _findings(cold)


def test_a_damaged_cache_entry_is_ignored(rules: RuleSet, tmp_path: Path) -> None:
    cache = Cache(root=tmp_path / "cache")
    use(cache)
    run(RunConfig(paths=[str(ROOT / "examples")]), rules)
    with sqlite3.connect(cache.file) as db:
        assert db.execute("UPDATE entries SET value = x'00'").rowcount > 0
    result = run(RunConfig(paths=[str(ROOT / "examples")]), rules)
    assert len([f for f in result.findings if f.active]) == 10 and not result.errors
    # a cache file that is not a database at all is replaced
    use(cache := Cache(root=tmp_path / "cache"))
    cache.file.write_bytes(b"not a database" * 100)
    result = run(RunConfig(paths=[str(ROOT / "examples")]), rules)
    assert len([f for f in result.findings if f.active]) == 10 and not result.errors
    assert run(RunConfig(paths=[str(ROOT / "examples")]), rules).findings == result.findings and cache.reads > 0


def test_no_cache_writes_nothing_and_the_directory_is_versioned(tmp_path: Path) -> None:
    env = {**os.environ, "SEAWALL_CACHE_DIR": str(tmp_path / "c")}
    subprocess.run([sys.executable, "-m", "linter", "scan", "examples", "--no-cache", "--no-config"], cwd=ROOT, env=env, capture_output=True, check=False)
    assert not (tmp_path / "c").exists()
    subprocess.run([sys.executable, "-m", "linter", "scan", "examples", "--no-config"], cwd=ROOT, env=env, capture_output=True, check=False)
    [version_dir] = list((tmp_path / "c").iterdir())
    assert version_dir.name.startswith(f"f{FORMAT}-py") and "-seawall-" in version_dir.name
    # one packed file (SQLite, with its write-ahead log), not one file per entry
    assert {p.name for p in version_dir.rglob("*") if p.is_file()} <= {"cache.sqlite", "cache.sqlite-wal", "cache.sqlite-shm"}
    with sqlite3.connect(version_dir / "cache.sqlite") as db:
        kinds = {k.split(":")[0] for (k,) in db.execute("SELECT key FROM entries")}
    # units' results and the rules; parses stay in memory (re-parsing costs what unpickling did)
    assert kinds == {"unit", "blob"}


# ------------------------------------------------- the units' cache (issue 19 item 4), counted


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Units evaluated and files parsed (HCL, CloudFormation, Kubernetes) in this process."""
    from linter import units
    from linter.parsers import cloudformation, kubernetes
    from linter.parsers.terraform import config as terraform_config

    counts = {"units": 0, "parses": 0}
    real_eval, real_hcl, real_cfn, real_k8s = units.evaluate_unit, terraform_config.parse_hcl, cloudformation.decode_template, kubernetes._read_documents

    def evaluate(*args, **kwargs):
        counts["units"] += 1
        return real_eval(*args, **kwargs)

    def parsing(real):
        def parse(*args, **kwargs):
            counts["parses"] += 1
            return real(*args, **kwargs)

        return parse

    monkeypatch.setattr(units, "evaluate_unit", evaluate)
    monkeypatch.setattr(terraform_config, "parse_hcl", parsing(real_hcl))
    monkeypatch.setattr(cloudformation, "decode_template", parsing(real_cfn))
    monkeypatch.setattr(kubernetes, "_read_documents", parsing(real_k8s))
    return counts


def _project(root: Path) -> Path:
    """Two Terraform roots (one with a tfvars and a module outside the scanned folder), a
    template and a manifest."""
    live = root / "live"
    shutil.copytree(ROOT / "examples", live / "app")
    (root / "modules" / "bucket").mkdir(parents=True)
    (root / "modules" / "bucket" / "main.tf").write_text('variable "acl" { default = "private" }\nresource "aws_s3_bucket_acl" "this" {\n  bucket = "b"\n  acl    = var.acl\n}\n')
    (live / "site").mkdir()
    (live / "site" / "main.tf").write_text('module "logs" {\n  source = "../../modules/bucket"\n}\n')
    (live / "stack.yaml").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: PublicRead\n"
    )
    (live / "k8s").mkdir()
    (live / "k8s" / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  type: LoadBalancer\n  ports: [{port: 5432}]\n")
    return live


def _seen(result):
    return [(f.rule_id, f.span, f.message, f.evidence, f.severity, f.verdict) for f in result.findings], result.errors, result.notes, result.stats


def test_a_warm_rescan_evaluates_no_unit_and_parses_nothing(rules: RuleSet, tmp_path: Path, counted: dict[str, int]) -> None:
    use(Cache(root=tmp_path / "cache"))
    live = _project(tmp_path)
    config = dict(paths=[str(live)], workers=1)
    cold = run(RunConfig(**config), rules)
    # two roots (6 .tf files and a tfvars; one .tf and the module it calls), a template, a manifest
    assert counted == {"units": 4, "parses": 11}
    counted.update(units=0, parses=0)
    warm = run(RunConfig(**config), rules)
    assert counted == {"units": 0, "parses": 0}
    assert _seen(warm) == _seen(cold)
    uncached = run(RunConfig(**config, cache=False), rules)
    assert _seen(uncached) == _seen(cold)


def _changed(rules: RuleSet, live: Path, counted: dict[str, int], **config) -> int:
    counted.update(units=0, parses=0)
    run(RunConfig(paths=[str(live)], workers=1, **config), rules)
    return counted["units"]


def test_a_change_re_evaluates_only_the_units_that_read_it(rules: RuleSet, tmp_path: Path, counted: dict[str, int]) -> None:
    """One changed file re-evaluates its unit only; so does a changed tfvars, a module file
    outside the scanned folder, a new file in a root, the configuration and a rule."""
    use(Cache(root=tmp_path / "cache"))
    live = _project(tmp_path)
    run(RunConfig(paths=[str(live)], workers=1), rules)
    assert _changed(rules, live, counted) == 0
    (live / "stack.yaml").write_text((live / "stack.yaml").read_text().replace("PublicRead", "Private"))
    assert _changed(rules, live, counted) == 1 and counted["parses"] == 1
    (live / "app" / "terraform.tfvars").write_text((live / "app" / "terraform.tfvars").read_text() + "\n")
    assert _changed(rules, live, counted) == 1
    (tmp_path / "modules" / "bucket" / "main.tf").write_text((tmp_path / "modules" / "bucket" / "main.tf").read_text().replace("private", "public-read"))
    assert _changed(rules, live, counted) == 1
    (live / "site" / "extra.auto.tfvars").write_text("\n")
    assert _changed(rules, live, counted) == 1
    assert _changed(rules, live, counted) == 0
    # the configuration: every unit
    assert _changed(rules, live, counted, severity_overrides={"aws-s3-bucket-public-acl": Severity.LOW}) == 4
    assert _changed(rules, live, counted, severity_overrides={"aws-s3-bucket-public-acl": Severity.LOW}) == 0


def test_a_changed_rule_re_evaluates(tmp_path: Path, counted: dict[str, int]) -> None:
    from linter.ruleset import load_rules

    use(Cache(root=tmp_path / "cache"))
    live = _project(tmp_path)
    folder = tmp_path / "rules"
    folder.mkdir()
    text = (ROOT / "rules" / "aws-s3-bucket-public-acl.yaml").read_text().replace("id: aws-s3-bucket-public-acl", "id: my-bucket-acl")
    (folder / "my-bucket-acl.yaml").write_text(text)
    config = dict(paths=[str(live)], workers=1, rule_dirs=[str(folder)], select=["my-bucket-acl"])
    first = run(RunConfig(**config), load_rules([str(folder)]))
    assert {f.severity for f in first.findings} == {Severity.CRITICAL}
    counted.update(units=0, parses=0)
    run(RunConfig(**config), load_rules([str(folder)]))
    assert counted["units"] == 0
    (folder / "my-bucket-acl.yaml").write_text(text.replace("severity: critical", "severity: high", 1))
    changed = run(RunConfig(**config), load_rules([str(folder)]))
    assert counted["units"] == 4
    assert Severity.HIGH in {f.severity for f in changed.findings}
    assert _seen(changed) == _seen(run(RunConfig(**config, cache=False), load_rules([str(folder)])))


def test_a_same_size_change_right_after_a_scan_is_seen(rules: RuleSet, tmp_path: Path) -> None:
    """A fingerprint reuses the digest of bytes this process read only when the file's stat is
    unchanged and older than the clock's resolution: an edit of the same size at once is
    read again (git's "racily clean" case)."""
    use(Cache(root=tmp_path / "cache"))
    live = tmp_path / "live"
    live.mkdir()
    main = live / "main.tf"
    main.write_text('resource "aws_s3_bucket_acl" "b" {\n  bucket = "b"\n  acl    = "public-read"\n}\n# padding\n')
    first = run(RunConfig(paths=[str(live)], workers=1), rules)
    assert [f.rule_id for f in first.findings] == ["aws-s3-bucket-public-acl"]
    edited = 'resource "aws_s3_bucket_acl" "b" {\n  bucket = "b"\n  acl    = "private"\n}\n# padding....\n'
    assert len(edited) == len(main.read_text())
    main.write_text(edited)
    assert run(RunConfig(paths=[str(live)], workers=1), rules).findings == []


def test_a_warm_scan_reads_each_terraform_file_once(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner reads every .tf file; the units' fingerprints take those digests instead
    of reading the files again (counted: files the fingerprints open)."""
    import time

    from linter import sources

    use(Cache(root=tmp_path / "cache"))
    live = _project(tmp_path)
    time.sleep(2.1)  # older than the racy window: digests are remembered
    run(RunConfig(paths=[str(live)], workers=1), rules)
    opened: list[str] = []
    real_open = open

    def counting(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(sources, "open", counting, raising=False)
    sources._DIGESTS.clear()  # a new process: only the planner's reads are known
    warm = run(RunConfig(paths=[str(live)], workers=1), rules)
    assert warm.findings
    # the module outside the scanned folder is not planned: its fingerprint hashes it, as
    # it does the template and the manifest
    assert sorted(os.path.relpath(p, tmp_path) for p in opened if p.endswith(".tf")) == [os.path.join("modules", "bucket", "main.tf")]
    assert any(p.endswith("stack.yaml") for p in opened)


# ------------------------------------------- the rules' cache entry (issue 19: one small file)


def _plain(value):
    """A rule's field with its conditions as their specs (compiled and deferred conditions
    are different functions of the same spec)."""
    from linter.conditions import Condition
    from linter.ruleset import Clause

    if isinstance(value, Condition):
        return ("condition", value.spec)
    if isinstance(value, Clause):
        return (value.format, value.types, _plain(value.when), value.related, value.params)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def test_a_cached_rule_is_the_rule_its_file_gives(tmp_path: Path) -> None:
    """Every built-in rule read back from the cache (its body unpickled when first asked
    for) equals the rule parsed from its file, field by field."""
    from msgspec.structs import fields

    from linter.ruleset import Rule, RuleBody, load_rules

    use(Cache(root=tmp_path / "cache"))
    parsed = load_rules()  # fills the cache entry
    cached = load_rules()
    assert len(cached) == len(parsed) > 300
    assert all(isinstance(r.body, bytes) for r in cached) and not any(isinstance(r.body, bytes) for r in parsed)
    for fresh, back in zip(parsed, cached, strict=True):
        assert back.digest == fresh.digest != ""
        for name in [f.name for f in fields(Rule) if f.name not in ("body", "companion")] + [f.name for f in fields(RuleBody)]:
            assert _plain(getattr(back, name)) == _plain(getattr(fresh, name)), (fresh.id, name)
        assert isinstance(back.body, RuleBody)  # the first field of its body unpickled it


def test_a_small_scan_unpickles_only_the_rules_it_meets(tmp_path: Path) -> None:
    """Counted, not timed: one small file's scan unpickles the bodies of the rules that judge
    its resource types, not the catalogue's."""
    from linter.ruleset import load_rules

    use(Cache(root=tmp_path / "cache"))
    load_rules()
    rules = load_rules()
    # a folder of its own: naming a file scans its whole module
    (tmp_path / "small").mkdir()
    shutil.copy(ROOT / "examples" / "network.tf", tmp_path / "small")
    result = run(RunConfig(paths=[str(tmp_path / "small" / "network.tf")], workers=1, cache=False), rules)
    assert result.findings
    present = {"aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_instance"}
    opened = {r.id for r in rules if not isinstance(r.body, bytes)}
    assert opened == {r.id for r in rules if r.types & present}
    assert 0 < len(opened) < len(rules) / 10
