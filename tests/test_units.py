"""A scan in independent units (issue 19 item 3): how inputs are grouped, the same findings
whatever the number of workers, workers returning findings (the scan parses nothing
itself), and a unit's objects gone before the next starts. Counting tests, never timed."""

from __future__ import annotations

import gc
import os
import weakref
from pathlib import Path

import pytest

from linter import units
from linter.config import RunConfig
from linter.engine import plan_inputs, run
from linter.graph import ResourceGraph
from linter.ruleset import RuleSet

PUBLIC_BUCKET = 'resource "aws_s3_bucket_acl" "b{n}" {{\n  bucket = "b{n}"\n  acl    = "public-read"\n}}\n'
OPEN_SSH = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
"""
LB_SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {{name: db{n}}}\nspec:\n  type: LoadBalancer\n  ports: [{{port: 5432}}]\n"


def _tree(root: Path, roots: int = 20) -> None:
    """Terraform roots (some calling a shared module), templates and manifest folders:
    more than MIN_FILES files, so a scan with workers starts a pool."""
    (root / "modules" / "bucket").mkdir(parents=True)
    (root / "modules" / "bucket" / "main.tf").write_text('variable "name" {}\nresource "aws_s3_bucket_acl" "this" {\n  bucket = var.name\n  acl    = "public-read"\n}\n')
    for n in range(roots):
        d = root / "tf" / f"r{n}"
        d.mkdir(parents=True)
        (d / "main.tf").write_text(PUBLIC_BUCKET.format(n=n))
        if n % 4 == 0:
            (d / "call.tf").write_text(f'module "m" {{\n  source = "../../modules/bucket"\n  name   = "m{n}"\n}}\n')
        (root / "cfn").mkdir(exist_ok=True)
        (root / "cfn" / f"t{n}.yaml").write_text(OPEN_SSH)
        k = root / "k8s" / f"app{n % 5}"
        k.mkdir(parents=True, exist_ok=True)
        (k / f"svc{n}.yaml").write_text(LB_SERVICE.format(n=n))


def _seen(result):
    return [(f.rule_id, f.span, f.message, f.evidence, f.severity, f.verdict, f.suppression) for f in result.findings], result.errors, result.notes, result.stats, result.resources


def test_terraform_directories_joined_by_local_module_calls(tmp_path: Path) -> None:
    for name, text in {
        "a/main.tf": 'module "x" {\n  source = "../b"\n}\n',
        "b/main.tf": 'module "y" {\n  source = "./c"\n}\n',
        "b/c/main.tf": "",
        "d/main.tf": 'module "z" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n',
        "e/main.tf": 'module "w" {\n  source = "../a"\n}\n',
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    dirs = sorted(os.path.normpath(tmp_path / d) for d in ("a", "b", "b/c", "d", "e"))
    groups = units.terraform_groups(dirs, {})
    named = sorted(sorted(os.path.relpath(d, tmp_path) for d in g) for g in groups)
    assert named == [["a", "b", os.path.join("b", "c"), "e"], ["d"]]


def test_overlays_sharing_a_base_are_one_part_and_other_folders_their_own(tmp_path: Path) -> None:
    files = {
        "base/kustomization.yaml": "resources: [svc.yaml]\n",
        "base/svc.yaml": LB_SERVICE.format(n=1),
        "prod/kustomization.yaml": "resources: [../base]\n",
        "dev/kustomization.yaml": "resources:\n  - ../base\n",
        "plain/svc.yaml": LB_SERVICE.format(n=2),
        "other/svc.yaml": LB_SERVICE.format(n=3),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    parts, _, _ = plan_inputs(RunConfig(paths=[str(tmp_path)]))
    k8s = sorted(sorted(os.path.relpath(f, tmp_path) for f in p.paths + p.kustomizations) for p in parts if p.kind == "kubernetes")
    assert k8s == [
        [os.path.join("base", "kustomization.yaml"), os.path.join("base", "svc.yaml"), os.path.join("dev", "kustomization.yaml"), os.path.join("prod", "kustomization.yaml")],
        [os.path.join("other", "svc.yaml")],
        [os.path.join("plain", "svc.yaml")],
    ]


def test_workers_return_findings_and_the_scan_parses_nothing_itself(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers give the same result as one, and the scan's own process parses no file:
    workers send back findings, not parses (a forked worker's count stays in the worker)."""
    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("the pool forks")
    _tree(tmp_path)
    from linter.parsers.terraform import config as terraform_config

    parsed: list[str] = []
    real = terraform_config.parse_hcl
    monkeypatch.setattr(terraform_config, "parse_hcl", lambda text, path: parsed.append(path) or real(text, path))
    one = run(RunConfig(paths=[str(tmp_path)], workers=1, cache=False), rules)
    assert len(parsed) >= 21  # the scan parsed every .tf file itself
    parsed.clear()
    two = run(RunConfig(paths=[str(tmp_path)], workers=2, cache=False), rules)
    assert parsed == []
    assert _seen(one) == _seen(two)
    # 20 roots, 5 calls with their own names, the module judged with its defaults
    assert len([f for f in one.findings if f.rule_id == "aws-s3-bucket-public-acl"]) == 26
    # and the same as one graph of everything (what keep_graph evaluates)
    whole = run(RunConfig(paths=[str(tmp_path)], workers=1, cache=False), rules, keep_graph=True)
    assert whole.graph is not None and len(whole.graph) == one.resources
    assert _seen(whole) == _seen(one)


def test_a_units_objects_are_gone_before_the_next_unit_starts(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory set by the largest unit: when a unit starts, no resource of an earlier unit is
    alive (the scan keeps findings only), though the automatic collector is off."""
    _tree(tmp_path, roots=6)
    from linter.parsers.terraform.modules import ModuleLoader

    alive: weakref.WeakSet[object] = weakref.WeakSet()
    real_add = ResourceGraph.add

    def add(self: ResourceGraph, res: object) -> None:
        alive.add(res)
        real_add(self, res)  # type: ignore[arg-type]

    monkeypatch.setattr(ResourceGraph, "add", add)
    real_init = ModuleLoader.__init__  # a loader and its module instances hold each other

    def init(self: ModuleLoader, *args: object, **kwargs: object) -> None:
        alive.add(self)
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ModuleLoader, "__init__", init)
    at_start: list[int] = []
    real_load = units.load_parts

    def load(parts: list[units.Part], config: RunConfig) -> object:
        at_start.append(len(alive))
        return real_load(parts, config)

    monkeypatch.setattr(units, "load_parts", load)
    result = run(RunConfig(paths=[str(tmp_path)], workers=1, cache=False), rules)
    assert gc.isenabled()
    assert len(at_start) > 10 and result.resources > 10
    assert at_start == [0] * len(at_start)


def test_a_unit_is_freed_without_the_cyclic_collector(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The evaluation's cycles (module instances, evaluators, lazy values, the graph's memos,
    the HCL walker) are broken when a unit is done, so its parse, graph and resources go as
    their last reference goes: nothing of them is left to the collection after the unit.
    Collecting a whole unit's objects cost five times freeing them, and was an eighth of a
    corpus scan. Counted, not timed."""
    import collections
    import shutil

    from conftest import ROOT

    from linter import parallel

    shutil.copytree(ROOT / "examples", tmp_path / "app")
    left: collections.Counter[str] = collections.Counter()

    def collect() -> None:
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect(0)
        left.update(type(o).__name__ for o in gc.garbage)
        gc.garbage.clear()
        gc.set_debug(0)

    monkeypatch.setattr(parallel, "collect_unit", collect)
    gc.collect()
    gc.freeze()  # as `seawall scan` does: what exists before the scan is not the unit's
    try:
        result = run(RunConfig(paths=[str(tmp_path / "app")], workers=1, cache=False), rules)
    finally:
        gc.unfreeze()
    assert result.resources > 20
    bulk = {"ModuleLoader", "Instance", "Evaluator", "ResourceGraph", "Resource", "HclFile", "Body", "Block", "Attribute", "PDict"}
    assert not bulk & set(left), {k: left[k] for k in bulk & set(left)}
    # what is left is small recursive closures (and what they hold): 420 objects, against
    # 2,535 when the evaluation and the graph were left to the collector
    assert sum(left.values()) < 1000, left.most_common(10)
