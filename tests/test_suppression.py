"""Suppressions: scoped to rule ids, with reasons and expiry, in every format; and the
reports about suppressions that do not work (no reason, expired, unused, forbidden)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from linter.config import RunConfig
from linter.engine import run
from linter.ruleset import RuleSet
from linter.suppress import META_RULE

ACL = "aws-s3-bucket-public-acl"
FUTURE = (dt.date.today() + dt.timedelta(days=365)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def scan(tmp_path: Path, rules: RuleSet, files: dict[str, str], **kwargs):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return run(RunConfig(paths=[str(tmp_path)], **kwargs), rules)


def bucket(comment_on_acl: str = "", comment_above_acl: str = "", comment_header: str = "", comment_above: str = "") -> str:
    lines = []
    if comment_above:
        lines.append(comment_above)
    lines.append('resource "aws_s3_bucket" "b" {' + (" " + comment_header if comment_header else ""))
    lines.append('  bucket = "x"')
    if comment_above_acl:
        lines.append("  " + comment_above_acl)
    lines.append('  acl    = "public-read"' + (" " + comment_on_acl if comment_on_acl else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def only(result, rule_id=ACL):
    return [f for f in result.findings if f.rule_id == rule_id]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"comment_on_acl": f"# seawall:ignore {ACL} exports for the partner, tracked in SEC-12"},
        {"comment_on_acl": f"// seawall:ignore {ACL} exports for the partner"},
        {"comment_above_acl": f"# seawall:ignore aws-rds-publicly-accessible,{ACL} legacy partner feed"},
        {"comment_header": f"# seawall:ignore {ACL} whole resource: static assets"},
        {"comment_above": f"# seawall:ignore {ACL} whole resource: static assets until={FUTURE}"},
    ],
)
def test_terraform_inline_forms(rules: RuleSet, tmp_path: Path, kwargs) -> None:
    result = scan(tmp_path, rules, {"main.tf": bucket(**kwargs)})
    [f] = only(result)
    assert f.suppression is not None and f.suppression.kind == "inline" and f.suppression.reason
    assert not only(result, META_RULE)


def test_suppression_is_scoped_to_its_rule(rules: RuleSet, tmp_path: Path) -> None:
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_on_acl="# seawall:ignore aws-rds-publicly-accessible not this one")})
    [f] = only(result)
    assert f.active
    [meta] = only(result, META_RULE)
    assert "unused suppression" in meta.message and meta.span.line == 3


def test_blanket_ignore_is_refused(rules: RuleSet, tmp_path: Path) -> None:
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_on_acl="# seawall:ignore")})
    assert only(result)[0].active
    assert "blanket" in only(result, META_RULE)[0].message


def test_reason_is_required(rules: RuleSet, tmp_path: Path) -> None:
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_on_acl=f"# seawall:ignore {ACL}")})
    [f] = only(result)
    assert f.active and any("gives no reason" in e.message for e in f.evidence)
    [meta] = only(result, META_RULE)
    assert "no reason" in meta.message and str(meta.severity) == "medium"
    # unless the configuration does not require one
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_on_acl=f"# seawall:ignore {ACL}")}, require_reason=False)
    assert not only(result)[0].active and not only(result, META_RULE)


@pytest.mark.parametrize("reason", ["TODO: say why this is acceptable", "TODO", "fixme later", "TBD", "<reason>", "..."])
def test_a_placeholder_is_not_a_reason(rules: RuleSet, tmp_path: Path, reason: str) -> None:
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_on_acl=f"# seawall:ignore {ACL} {reason}")})
    [f] = only(result)
    assert f.active and any("placeholder instead of a reason" in e.message for e in f.evidence)
    [meta] = only(result, META_RULE)
    assert "placeholder" in meta.message and str(meta.severity) == "medium"
    # a reason that merely mentions a to-do is a reason
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_on_acl=f"# seawall:ignore {ACL} partner feed; todo list in SEC-9")})
    assert not only(result)[0].active and not only(result, META_RULE)


CFN_BUCKET = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Assets:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: PublicRead
"""
K8S_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: LoadBalancer
  ports:
    - port: 8080
"""


@pytest.mark.parametrize(
    ("name", "text", "kind", "rule"),
    [
        ("main.tf", bucket(), "terraform", ACL),
        ("stack.yaml", CFN_BUCKET, "cloudformation", ACL),
        ("svc.yaml", K8S_SERVICE, "kubernetes", "k8s-service-public-load-balancer"),
    ],
    ids=["terraform", "cloudformation", "kubernetes"],
)
def test_what_the_quick_fix_writes_is_read_back_as_a_suppression_without_a_reason(rules: RuleSet, tmp_path: Path, name: str, text: str, kind: str, rule: str) -> None:
    """The editor's "Suppress" action and the engine share one syntax (linter/suppress.py):
    its text is a suppression of the rule, whose placeholder reason does not count until
    someone writes why."""
    from linter.lsp import suppression_for

    [finding] = only(scan(tmp_path, rules, {name: text}), rule)
    insertion = suppression_for(kind, text.split("\n"), text, finding)
    assert insertion is not None
    lines = text.split("\n")
    lines[insertion.line] = lines[insertion.line][: insertion.column] + insertion.text + lines[insertion.line][insertion.column :]
    written = "\n".join(lines)
    result = scan(tmp_path, rules, {name: written})
    [f] = only(result, rule)
    assert f.active
    [meta] = only(result, META_RULE)
    assert "placeholder" in meta.message
    result = scan(tmp_path, rules, {name: written.replace("TODO: say why this is acceptable", "a public demo, SEC-7")})
    [f] = only(result, rule)
    assert f.suppression is not None and f.suppression.kind == "inline" and f.suppression.reason == "a public demo, SEC-7"
    assert not only(result, META_RULE)


def test_expired_suppression_turns_back_into_the_finding_and_is_reported(rules: RuleSet, tmp_path: Path) -> None:
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_on_acl=f"# seawall:ignore {ACL} temporary until={PAST}")})
    [f] = only(result)
    assert f.active
    assert any(f"expired on {PAST}" in e.message for e in f.evidence)
    # the README's promise: an expired suppression is a seawall-suppression finding, where it is written
    [meta] = only(result, META_RULE)
    assert f"expired on {PAST}" in meta.message and "unused" not in meta.message
    assert (meta.span.line, str(meta.severity)) == (3, "low") and meta.active
    # expired and matching nothing: reported as expired, once
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_above=f"# seawall:ignore aws-rds-publicly-accessible temporary until={PAST}")})
    assert [m.message.split(":")[0] for m in only(result, META_RULE)] == [f"suppression expired on {PAST}"]
    # `--ignore seawall-suppression` turns the report off, not the finding
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_on_acl=f"# seawall:ignore {ACL} temporary until={PAST}")}, ignore=[META_RULE])
    assert not only(result, META_RULE) and only(result)[0].active


def test_the_meta_rule_is_documented(tmp_path: Path) -> None:
    show = subprocess.run([sys.executable, "-m", "linter", "rules", "show", META_RULE], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert show.returncode == 0, show.stderr
    assert show.stdout.startswith(f"{META_RULE}: Suppression that does not work as written")
    for words in ("until` date has passed", "placeholder", "unsuppressible", "matches no finding", "--ignore seawall-suppression"):
        assert words in show.stdout
    # and SARIF describes it when it fires
    (tmp_path / "main.tf").write_text(bucket(comment_on_acl=f"# seawall:ignore {ACL} temporary until={PAST}"))
    proc = subprocess.run([sys.executable, "-m", "linter", "scan", str(tmp_path), "--format", "sarif"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    run_ = json.loads(proc.stdout)["runs"][0]
    descriptors = {d["id"]: d for d in run_["tool"]["driver"]["rules"]}
    assert "until` date has passed" in descriptors[META_RULE]["help"]["markdown"]
    assert any(r["ruleId"] == META_RULE and "expired" in r["message"]["text"] for r in run_["results"])


def test_unknown_rule_id_in_a_suppression(rules: RuleSet, tmp_path: Path) -> None:
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_above="# seawall:ignore aws-s3-bucket-publik-acl typo")})
    assert only(result)[0].active
    assert any("unknown rule id aws-s3-bucket-publik-acl" in m.message for m in only(result, META_RULE))


def test_unsuppressible_rules(rules: RuleSet, tmp_path: Path) -> None:
    result = scan(tmp_path, rules, {"main.tf": bucket(comment_on_acl=f"# seawall:ignore {ACL} please")}, unsuppressible=[ACL])
    [f] = only(result)
    assert f.active and any("may not be suppressed inline" in e.message for e in f.evidence)
    assert "may not be suppressed" in only(result, META_RULE)[0].message


CFN = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Site:
    Type: AWS::S3::Bucket
    Metadata:
      seawall:
        ignore:
          - rule: aws-s3-bucket-public-acl
            reason: CDN origin, migrating to OAC
            until: "%s"
    Properties:
      AccessControl: PublicRead
"""


def test_cloudformation_metadata_yaml_and_json(rules: RuleSet, tmp_path: Path) -> None:
    [f] = only(scan(tmp_path, rules, {"t.yaml": CFN % FUTURE}))
    assert f.suppression is not None and f.suppression.reason == "CDN origin, migrating to OAC"
    (tmp_path / "t.yaml").unlink()
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Site": {
                "Type": "AWS::S3::Bucket",
                "Metadata": {"seawall": {"ignore": [f"{ACL} static site bucket"]}},
                "Properties": {"AccessControl": "PublicRead"},
            }
        },
    }
    [f] = only(scan(tmp_path, rules, {"t.json": json.dumps(template, indent=2)}))
    assert f.suppression is not None and f.suppression.reason == "static site bucket"


def test_kubernetes_annotation(rules: RuleSet, tmp_path: Path) -> None:
    svc = (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: grafana\n  annotations:\n"
        f"    seawall.dev/ignore: k8s-service-node-port lab cluster without public nodes until={FUTURE}\n"
        "spec:\n  type: NodePort\n  selector: {app: grafana}\n  ports: [{port: 3000}]\n"
    )
    [f] = only(scan(tmp_path, rules, {"svc.yaml": svc}), "k8s-service-node-port")
    assert f.suppression is not None and f.suppression.reason == "lab cluster without public nodes" and f.suppression.until == FUTURE


def test_suppressed_findings_stay_visible_in_json(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(bucket(comment_on_acl=f"# seawall:ignore {ACL} partner exports"))
    proc = subprocess.run([sys.executable, "-m", "linter", "scan", str(tmp_path), "--format", "json"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    [f] = doc["findings"]
    assert f["suppressed"] == {"kind": "inline", "reason": "partner exports", "file": str(tmp_path / "main.tf"), "line": 3, "until": None}
    assert doc["summary"]["findings"] == 0 and doc["summary"]["suppressed"] == 1
