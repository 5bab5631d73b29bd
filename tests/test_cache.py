"""The parse cache: same results from the cache, safe when broken, off with --no-cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT

from linter.cache import FORMAT, Cache, use
from linter.config import RunConfig
from linter.engine import run
from linter.ruleset import RuleSet


def _findings(result):
    return [(f.rule_id, f.span, f.message, f.evidence) for f in result.findings]


def test_cached_scan_equals_uncached_scan(rules: RuleSet, tmp_path: Path) -> None:
    cache = Cache(root=tmp_path / "cache")
    use(cache)
    paths = [str(ROOT / "examples"), str(FIXTURES / "aws-s3-bucket-public-policy"), str(FIXTURES / "k8s-service-public-load-balancer"), str(FIXTURES / "aws-s3-bucket-public-acl" / "fail")]
    cold = run(RunConfig(paths=paths), rules)
    assert cache.misses > 0 and cache.hits == 0
    warm = run(RunConfig(paths=paths), rules)
    assert cache.hits > 0
    assert _findings(cold) == _findings(warm) and cold.errors == warm.errors and cold.notes == warm.notes
    uncached = run(RunConfig(paths=paths, cache=False), rules)
    assert _findings(uncached) == _findings(cold)


def test_a_damaged_cache_entry_is_ignored(rules: RuleSet, tmp_path: Path) -> None:
    cache = Cache(root=tmp_path / "cache")
    use(cache)
    run(RunConfig(paths=[str(ROOT / "examples")]), rules)
    for entry in (tmp_path / "cache").rglob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    result = run(RunConfig(paths=[str(ROOT / "examples")]), rules)
    assert len([f for f in result.findings if f.active]) == 10 and not result.errors  # the example project's 10 findings


def test_no_cache_writes_nothing_and_the_directory_is_versioned(tmp_path: Path) -> None:
    env = {**os.environ, "SEAWALL_CACHE_DIR": str(tmp_path / "c")}
    subprocess.run([sys.executable, "-m", "linter", "scan", "examples", "--no-cache", "--no-config"], cwd=ROOT, env=env, capture_output=True, check=False)
    assert not (tmp_path / "c").exists()
    subprocess.run([sys.executable, "-m", "linter", "scan", "examples", "--no-config"], cwd=ROOT, env=env, capture_output=True, check=False)
    [version_dir] = list((tmp_path / "c").iterdir())
    assert version_dir.name.startswith(f"f{FORMAT}-py") and "-seawall-" in version_dir.name
    assert list(version_dir.rglob("*.pickle"))
