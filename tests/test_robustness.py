"""Bad, hostile and tricky inputs: a clear error naming the file and line, the rest of the
scan goes on, nothing hangs, nothing runs, nothing leaks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from linter.config import RunConfig
from linter.engine import run
from linter.model import ScanResult
from linter.ruleset import RuleSet

GOOD = 'resource "aws_s3_bucket" "good" {\n  bucket = "acme"\n  acl    = "public-read"\n}\n'


def scan_with(tmp_path: Path, rules: RuleSet, name: str, content: bytes | str, **kwargs) -> ScanResult:
    """A project with one known finding (good/main.tf) and the bad input beside it."""
    (tmp_path / "good").mkdir(exist_ok=True)
    (tmp_path / "good" / "main.tf").write_text(GOOD)
    target = tmp_path / "bad" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)
    result = run(RunConfig(paths=[str(tmp_path)], **kwargs), rules)
    assert [(f.rule_id, Path(f.span.file).name) for f in result.findings if f.active] == [("aws-s3-bucket-public-acl", "main.tf")], "the good file's finding must still be reported"
    return result


def the_error(result: ScanResult, name: str):
    errors = [e for e in result.errors if Path(e.file).name == name]
    assert len(errors) == 1, result.errors
    assert "Traceback" not in errors[0].message and errors[0].kind != "internal"
    return errors[0]


def the_note(result: ScanResult, name: str):
    notes = [n for n in result.notes if Path(n.file).name == name]
    assert notes, result.notes
    return notes[0]


@pytest.mark.parametrize(
    ("name", "content", "line", "words"),
    [
        ("broken.tf", 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  acl = \n}\n', 3, "invalid HCL: unexpected"),
        ("unclosed.tf", 'resource "aws_s3_bucket" "b" {\n  acl = "x"\n', 2, "unexpected end of file"),
        ("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\nspec: {}\n", 5, "invalid YAML"),
        ("stack.json", '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n    "B": {"Type": "AWS::S3::Bucket",\n', 5, "invalid template"),
        ("binary.tf", b'resource "a" "b" {}\n\x00\x01\x02\xff', 2, "binary file"),
        ("latin1.tf", 'resource "a" "b" {\n  name = "caf\xe9"\n}\n'.encode("latin-1"), 2, "not valid UTF-8"),
        ("redefined.tf", 'resource "aws_s3_bucket" "r" {\n  acl = "private"\n  acl = "private"\n}\n', 3, "defined twice"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_bad_input_gets_a_clear_error_with_file_and_line(rules: RuleSet, tmp_path: Path, name: str, content, line: int, words: str) -> None:
    err = the_error(scan_with(tmp_path, rules, name, content), name)
    assert err.line == line and words in err.message


def test_exit_code_2_and_plain_words_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(GOOD)
    (tmp_path / "broken.tf").write_text('variable "x" {\n  default = [1, 2\n}\n')
    proc = subprocess.run([sys.executable, "-m", "linter", "scan", str(tmp_path), "--no-config"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "CRITICAL aws-s3-bucket-public-acl" in proc.stdout  # the rest is still reported
    assert f"{tmp_path / 'broken.tf'}:3:1: ERROR invalid HCL: unexpected '}}'" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.tf", ""),
        ("blank.tf", "\n\n   \n"),
        ("empty.yaml", ""),
        ("comments.yaml", "# nothing here\n"),
        ("bom.tf", "\ufeff" + 'resource "aws_s3_bucket" "x" {\n  acl = "private"\n}\n'),
        ("crlf.tf", 'resource "aws_s3_bucket" "x" {\r\n  acl = "private"\r\n}\r\n'),
        ("mixed.tf", 'resource "aws_s3_bucket" "x" {\r\n  bucket = "y"\n  acl = "private"\r}\n'),
        ("utf16.tf", 'resource "aws_s3_bucket" "x" {\n  acl = "private"\n}\n'.encode("utf-16")),
    ],
)
def test_unusual_but_valid_files_are_fine(rules: RuleSet, tmp_path: Path, name: str, content) -> None:
    result = scan_with(tmp_path, rules, name, content)
    assert not result.errors


def test_bom_and_crlf_keep_exact_lines(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_bytes(("\ufeff# top\r\n" + GOOD.replace("\n", "\r\n")).encode("utf-8"))
    [f] = run(RunConfig(paths=[str(tmp_path)]), rules).findings
    assert (f.span.line, f.span.column) == (4, 3)


HUGE_TF = 'locals {\n  x = "' + "a" * 5000 + '"\n}\n'
HUGE_TEMPLATE = "AWSTemplateFormatVersion: '2010-09-09'\nDescription: " + "a" * 5000 + "\nResources: {}\n"


@pytest.mark.parametrize(("name", "content"), [("huge.tf", HUGE_TF), ("huge.yaml", HUGE_TEMPLATE), ("huge.template", HUGE_TEMPLATE)])
def test_files_over_the_size_limit_are_input_errors(rules: RuleSet, tmp_path: Path, name: str, content: str) -> None:
    # infrastructure code that was not checked is never a clean result
    result = scan_with(tmp_path, rules, name, content, max_bytes=1000)
    err = the_error(result, name)
    assert "over the 1,000-byte limit (max-file-size): not checked" in err.message and err.kind == "read"
    assert not [n for n in result.notes if Path(n.file).name == name]


def test_allow_unchecked_makes_chosen_files_a_note(rules: RuleSet, tmp_path: Path) -> None:
    result = scan_with(tmp_path, rules, "huge.tf", HUGE_TF, max_bytes=1000, allow_unchecked=["bad/huge.*"])
    assert not result.errors
    note = the_note(result, "huge.tf")
    assert "over the 1,000-byte limit" in note.message and "allowed by allow-unchecked" in note.message
    # other files are not covered by it
    result = scan_with(tmp_path, rules, "broken.tf", 'resource "a" "b" {\n', allow_unchecked=["elsewhere/**"])
    the_error(result, "broken.tf")


def test_a_large_file_that_is_not_infrastructure_is_skipped_silently(rules: RuleSet, tmp_path: Path) -> None:
    result = scan_with(tmp_path, rules, "package-lock.json", '{"name": "x", "packages": {"": {"a": "' + "b" * 5000 + '"}}}\n', max_bytes=1000)
    assert not result.errors and not result.notes


SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  type: LoadBalancer\n  ports:\n    - port: 5432\n"
TEMPLATE_YAML = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      AccessControl: PublicRead\n"
TEMPLATE_JSON = json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"AccessControl": "PublicRead"}}}}, indent=1)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-le", "utf-16-be", "utf-32-le", "utf-8-sig"])
@pytest.mark.parametrize(
    ("name", "text", "rule", "line"),
    [
        ("stack.yaml", TEMPLATE_YAML, "aws-s3-bucket-public-acl", 6),
        ("stack.template", TEMPLATE_YAML, "aws-s3-bucket-public-acl", 6),
        ("stack.json", TEMPLATE_JSON, "aws-s3-bucket-public-acl", 7),
        ("svc.yml", SERVICE, "k8s-service-public-load-balancer", 6),
        ("main.tf", 'resource "aws_s3_bucket" "u" {\n  acl = "public-read"\n}\n', "aws-s3-bucket-public-acl", 2),
    ],
    ids=["cfn-yaml", "cfn-template", "cfn-json", "k8s-yml", "terraform"],
)
def test_utf16_and_utf32_are_decoded_for_every_format(rules: RuleSet, tmp_path: Path, name: str, text: str, rule: str, line: int, encoding: str) -> None:
    """With a byte-order mark (utf-16, utf-32 write one), or without one when the first
    character is ASCII (the rule of JSON and YAML 1.2)."""
    (tmp_path / name).write_bytes(text.encode(encoding))
    result = run(RunConfig(paths=[str(tmp_path / name)]), rules)
    assert not result.errors and [(f.rule_id, f.span.line) for f in result.findings] == [(rule, line)]


@pytest.mark.parametrize(("name", "content"), [("secret.tf", 'resource "a" "b" {}\n'), ("secret.yaml", "kind: Service\n")])
def test_unreadable_file_is_an_error_and_the_rest_goes_on(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str) -> None:
    # an unreadable YAML file cannot be told apart from infrastructure code: not dropped silently
    import linter.sources

    real_open = open

    def guarded_open(path, *args, **kwargs):  # as root, chmod cannot make a file unreadable
        if str(path).endswith(name):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(linter.sources, "open", guarded_open, raising=False)
    err = the_error(scan_with(tmp_path, rules, name, content), name)
    assert "cannot read: Permission denied" in err.message and err.kind == "read"


def test_symlink_loops_and_links_out_of_the_tree_are_not_followed(rules: RuleSet, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.tf"
    outside.write_text('resource "aws_s3_bucket" "outside" {\n  acl = "public-read"\n}\n')
    (tmp_path / "bad").mkdir()
    os.symlink(tmp_path, tmp_path / "bad" / "loop")  # a directory link back up: a loop
    os.symlink(outside, tmp_path / "bad" / "out.tf")
    result = scan_with(tmp_path, rules, "ok.tf", "")
    messages = " ".join(n.message for n in result.notes)
    assert "symbolic link to a directory; not followed" in messages
    assert "out of the scanned tree" in messages
    assert not any("outside" in f.resource for f in result.findings)


def test_special_files_do_not_hang_the_scan_and_are_errors(rules: RuleSet, tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    os.mkfifo(tmp_path / "bad" / "pipe.tf")
    os.mkfifo(tmp_path / "bad" / "pipe.yaml")
    result = scan_with(tmp_path, rules, "ok.tf", "")
    for name in ("pipe.tf", "pipe.yaml"):
        assert "not a regular file (a pipe or device): not checked" in the_error(result, name).message


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "gitlab", "markdown"])
def test_a_file_named_alone_that_could_not_be_checked_fails_in_every_format(tmp_path: Path, fmt: str) -> None:
    (tmp_path / ".seawall.toml").write_text("max-file-size = 1000\n")
    (tmp_path / "stack.yaml").write_text(HUGE_TEMPLATE)
    proc = subprocess.run([sys.executable, "-m", "linter", "scan", "stack.yaml", "--format", fmt], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "over the 1,000-byte limit" in proc.stdout, proc.stdout
    if fmt == "sarif":
        invocation = json.loads(proc.stdout)["runs"][0]["invocations"][0]
        [notification] = invocation["toolExecutionNotifications"]
        assert notification["level"] == "error" and not invocation["executionSuccessful"]
    elif fmt == "github":
        assert proc.stdout.startswith("::error file=stack.yaml,line=1")
    elif fmt == "gitlab":
        [issue] = json.loads(proc.stdout)
        assert issue["check_name"] == "seawall-input-error" and issue["location"]["path"] == "stack.yaml"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("deep.tf", "locals {\n  x = " + "[" * 3000 + "1" + "]" * 3000 + "\n}\n", "nested too deeply"),
        ("deep.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: " + "[" * 3000 + "1" + "]" * 3000 + "\n", "nested too deeply"),
        ("plan.json", '{"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": ' + "[" * 100000 + "]" * 100000 + "}", "nested"),
    ],
)
def test_deeply_nested_structures(rules: RuleSet, tmp_path: Path, name: str, content: str, words: str) -> None:
    err = the_error(scan_with(tmp_path, rules, name, content), name)
    assert words in err.message


def test_libyaml_nesting_limit_reads_like_ours() -> None:
    # newer libyaml builds (PyYAML 6.0.4+) stop at their own depth limit before ours applies
    import yaml

    from linter.yamlsafe import describe_yaml_error

    mark = yaml.Mark("deep.yaml", 0, 3, 1003, None, None)
    exc = yaml.parser.ParserError(None, None, "exceeded maximum nesting depth", mark)
    assert describe_yaml_error(exc) == (4, 1004, "document nested too deeply to analyse")
    other = yaml.scanner.ScannerError("while scanning", mark, "found a tab", mark)
    assert describe_yaml_error(other) == (4, 1004, "invalid YAML: found a tab")


def test_duplicate_keys_are_reported_and_the_last_one_wins(rules: RuleSet, tmp_path: Path) -> None:
    svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: NodePort\n  type: ClusterIP\n"
    result = scan_with(tmp_path, rules, "svc.yaml", svc)
    note = the_note(result, "svc.yaml")
    assert note.line == 7 and "duplicate key 'type'" in note.message
    assert not [f for f in result.findings if f.rule_id == "k8s-service-node-port"]  # ClusterIP won


def test_a_module_that_calls_itself(rules: RuleSet, tmp_path: Path) -> None:
    result = scan_with(tmp_path, rules, "self.tf", 'module "again" {\n  source = "./"\n}\n')
    assert "calls itself" in the_note(result, "self.tf").message


# ----------------------------------------------------------------------------- hostile input


def _run_bounded(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """Scan in a child process; return it and its peak memory in MiB."""
    code = (
        "import json, sys\nfrom linter.config import RunConfig\nfrom linter.engine import run\n"
        f"r = run(RunConfig(paths=[{str(tmp_path)!r}]))\n"
        "print(json.dumps({'errors': [e.message for e in r.errors], 'notes': [n.message for n in r.notes],"
        " 'findings': [f.rule_id for f in r.findings]}))\n"
        # VmHWM is this process's own peak: ru_maxrss would also count the forking pytest's
        # memory, which Linux carries across exec
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) // 1024, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc, int(proc.stderr.strip().splitlines()[-1])


MEMORY_BOUND_MIB = 400


def test_yaml_alias_bomb_is_refused_within_a_memory_bound(tmp_path: Path) -> None:
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n" + "\n".join("  " + level for level in levels) + "\n"
    (tmp_path / "bomb.yaml").write_text(bomb)
    proc, peak = _run_bounded(tmp_path)
    doc = json.loads(proc.stdout)
    assert any("expands to more than" in e for e in doc["errors"])
    assert peak < MEMORY_BOUND_MIB, f"peak memory {peak} MiB"


def test_terraform_expressions_that_would_expand_without_bound(tmp_path: Path) -> None:
    doubling = ["locals {", '  s0 = "xxxxxxxxxxxxxxxx"'] + [f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"' for i in range(1, 40)] + ["}"]
    lists = ["locals {", "  l0 = [1, 2]"] + [f"  l{i} = [local.l{i - 1}, local.l{i - 1}]" for i in range(1, 60)] + ["}"]
    (tmp_path / "main.tf").write_text(
        "\n".join(doubling + lists)
        + '\nresource "aws_s3_bucket" "many" {\n  count = 1000000000\n}\n'
        + 'resource "null_resource" "r" {\n  big = range(1000000000)\n  strs = local.s39\n  nested = local.l59\n'
        + "  grid = [for i in range(10000) : [for j in range(10000) : i * j]]\n  enc = jsonencode(local.l59)\n}\n"
        + 'locals {\n  loop_a = local.loop_b\n  loop_b = local.loop_a\n}\n'
    )
    proc, peak = _run_bounded(tmp_path)
    doc = json.loads(proc.stdout)
    assert any("count = 1000000000 is over" in n for n in doc["notes"])
    assert any("evaluation stopped after" in n for n in doc["notes"])
    assert peak < MEMORY_BOUND_MIB, f"peak memory {peak} MiB"


def test_pathological_regex_in_a_user_rule_cannot_hang(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "acme-evil-regex.yaml").write_text(
        "id: acme-evil-regex\ntitle: A rule with a catastrophic pattern\nseverity: low\n"
        "description: Backtracking on purpose, to prove that it cannot hang a scan.\nremediation: Do not write patterns like this.\n"
        "references: [https://example.com/redos]\nmatch:\n  terraform:\n    type: aws_s3_bucket\n    when: {path: bucket, matches: '^(a|aa)+$'}\n"
    )
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "' + "a" * 5000 + 'b"\n}\n')
    code = (
        "from linter.config import RunConfig\nfrom linter.engine import run\nfrom linter.ruleset import load_rules\n"
        f"r = run(RunConfig(paths=[{str(tmp_path / 'main.tf')!r}]), load_rules([{str(rules_dir)!r}]))\nprint(len(r.findings))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr


# ----------------------------------------------------------------------------- nothing runs, nothing leaks


def test_a_full_scan_makes_no_network_connection(rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("seawall tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    result = run(RunConfig(paths=[str(ROOT / "examples"), str(ROOT / "tests" / "fixtures")]), rules)
    assert result.findings and not [e for e in result.errors if e.kind == "internal"]


def test_nothing_from_the_scanned_code_runs(rules: RuleSet, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "main.tf").write_text(
        f'resource "null_resource" "x" {{\n  provisioner "local-exec" {{\n    command = "touch {marker}"\n  }}\n}}\n'
        f'data "external" "y" {{\n  program = ["sh", "-c", "touch {marker}"]\n}}\n'
        'module "remote" {\n  source = "git::https://example.invalid/evil.git"\n}\n'
        'resource "null_resource" "z" {\n  t = templatefile("${path.module}/t.tpl", {})\n}\n'
    )
    (tmp_path / "t.tpl").write_text("%{ if true }${file(\"/etc/hostname\")}%{ endif }")
    (tmp_path / "evil.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  p: !!python/object/apply:os.system ['touch " + str(marker) + "']\n")
    run(RunConfig(paths=[str(tmp_path)]), rules)
    assert not marker.exists()


def test_secret_looking_values_are_never_printed_in_full(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "db_password" {}\nvariable "acl" {}\n'
        'resource "aws_db_instance" "d" {\n  engine = "mysql"\n  password = var.db_password\n  publicly_accessible = true\n'
        '  tags = { note = "key AKIAIOSFODNN7EXAMPLE" }\n}\n'
        'resource "aws_s3_bucket" "b" {\n  acl = var.acl\n}\n'
    )
    (tmp_path / "terraform.tfvars").write_text('db_password = "hunter2-correct-horse"\nacl = "public-read"\n')
    for fmt in ("text", "json"):
        proc = subprocess.run([sys.executable, "-m", "linter", "scan", str(tmp_path), "--format", fmt, "--no-config"], capture_output=True, text=True, cwd=ROOT)
        assert "hunter2" not in proc.stdout and "AKIAIOSFODNN7EXAMPLE" not in proc.stdout
    from linter.redact import redact

    assert redact('var.db_password = "hunter2" (set in terraform.tfvars)') == "var.db_password = ******** (set in terraform.tfvars)"
    assert "AKIAIOSFODNN7EXAMPLE" not in redact("tag AKIAIOSFODNN7EXAMPLE")


# ----------------------------------------------------------------------------- determinism and containment


def test_byte_identical_reports_whatever_the_hash_seed(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-m", "linter", "scan", "examples", "tests/fixtures", "--format", "json", "--no-config"],
            capture_output=True, cwd=ROOT, env=env, timeout=300,
        )
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] and len(outputs[0]) > 1000


def test_a_failing_rule_is_contained(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = rules.get("aws-s3-bucket-public-acl")

    def broken(graph, r):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(rule, "companion", broken)
    (tmp_path / "main.tf").write_text(GOOD + 'resource "aws_db_instance" "d" {\n  publicly_accessible = true\n}\n')
    result = run(RunConfig(paths=[str(tmp_path)]), rules)
    [err] = result.errors
    assert err.kind == "internal" and "running rule aws-s3-bucket-public-acl" in err.message and "please report" in err.message
    assert [f.rule_id for f in result.findings] == ["aws-rds-publicly-accessible"]


def test_a_failing_file_is_contained(rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import linter.parsers.terraform.config as tf_config

    real = tf_config.parse_hcl

    def flaky(text: str, path: str):
        if path.endswith("cursed.tf"):
            raise KeyError("unexpected")
        return real(text, path)

    monkeypatch.setattr(tf_config, "parse_hcl", flaky)
    result = scan_with(tmp_path, rules, "cursed.tf", 'resource "a" "b" {}\n')
    [err] = [e for e in result.errors if e.file.endswith("cursed.tf")]
    assert err.kind == "internal" and "KeyError" in err.message
