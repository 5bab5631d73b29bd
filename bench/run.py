#!/usr/bin/env python3
"""seawall's benchmark: whole-process timings, as ratios against baselines.

    python bench/run.py                      # all cases, 5 runs each, on ../shared/corpus
    python bench/run.py --runs 3 --markdown  # the README table
    python bench/run.py --cases small,corpus --json bench/results.json

Every case runs seawall as a separate process (what a user or a pre-commit hook pays),
several times; it reports the median wall time and its spread (min–max), the median CPU
time (user + system of the process and every worker it waited for, from ``wait4``) and the
peak memory of all its processes together (their resident memory summed, sampled from
``/proc``; the largest single process where there is no ``/proc``). The machine is often
shared: CPU seconds and ratios measured in one run are the figures to compare. Cases whose
ratio is a target (two workers against one, x16 against x1, seawall against Checkov on
the small file) run in turn, A B A B, and their ratio is the median of the runs' ratios, so
a drift in the machine's speed cancels out. Cases:

- ``small``: one small Terraform file in a cold process with a cold cache (the
  pre-commit and editor case), and the same with a completely empty cache (the first run
  after installing, which also checks the rule files against their schema once);
- ``corpus``: the whole corpus, cold cache; and ``terraform``, ``cloudformation``,
  ``kubernetes``: each format's part of it;
- ``scale``: copies of the corpus, x1, x4 and x16, to show how cost grows;
- ``workers``: the corpus, cold, with ``--workers 1`` and ``--workers 2`` (parallel
  efficiency: the CPU of two workers against one);
- ``warm``: the unchanged corpus scanned again with a warm cache (every unit's result
  stored, so nothing is parsed or evaluated);
- ``fleet``: ``seawall fleet scan`` over a generated fleet (``--fleet-size`` small git
  repositories with history, tests/fleetgen.py): a first scan into an empty history (with
  the history walk), the same fleet again (nothing changed: nothing scanned), and, when
  Dask ``distributed`` is installed, the first scan on a local cluster (a scheduler and two
  worker processes on loopback); printed as repositories per second;
- ``buckets``: one generated Terraform root of N S3 buckets, each with its public access
  block, ACL, ownership controls and policy (five resources a bucket), at N = 1,250 and
  5,000 (about 1.3 MB and 5 MB of ``.tf``): x4 the resources should cost at most x4.5 the
  time (issue 13 item 23: this grew quadratically);
- ``editor``: the language server over stdio, as an editor drives it (no debounce): the
  latency from ``didChange`` to that version's ``publishDiagnostics`` on one file of a
  generated 100-file module, and the server's CPU per edit;
- ``floor``: merely parsing the same files in one process, HCL with python-hcl2 (its Lark
  parser) or with tree-sitter's HCL grammar (seawall's parser), YAML and JSON with PyYAML's
  C loader: the limit a tool built on these parsers cannot beat without caching.

When Checkov is installed (``pip install checkov``; never a dependency of seawall) the
same cases run against it in the same session and the ratios are printed. Checkov runs
with ``CHECKOV_PARALLELIZATION_TYPE=thread`` unless the environment sets another: in its
default ``fork`` mode, Checkov 3.3.30 deadlocked on the corpus (a worker blocked writing its
results into a pipe while the parent waited for it to exit). A Checkov run that exceeds
``--checkov-timeout`` is stopped and reported as not finished.

Only the standard library is used, so the benchmark runs anywhere seawall does.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import queue
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
TF_SUFFIXES = (".tf", ".tfvars")
DOC_SUFFIXES = (".yaml", ".yml", ".json", ".template")
# Checkov: 0 passed, 1 failed checks, 2 an error it reported (its standard error is kept in
# bench/.work/checkov-*.log; the exit codes are printed with the results)
CHECKOV_CODES = (0, 1, 2)
# seawall on a real-world tree: 2 also means a scan that reported input errors (the corpus
# holds kustomizations naming files it does not contain) and checked everything else
TREE_CODES = (0, 1, 2)


@dataclass
class Measure:
    name: str
    command: list[str]
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds
    peak_mib: list[float] = field(default_factory=list)  # the largest single process
    total_mib: list[float] = field(default_factory=list)  # the peak of the sum over all its processes
    exit_codes: list[int] = field(default_factory=list)
    timed_out: float = 0.0  # the limit a run exceeded, if one did
    # cases run in turn with this one (``measure_in_turn``): ratios among them are per run
    group: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def row(self) -> dict[str, object]:
        return {
            "case": self.name,
            "median_s": round(self.median, 3),
            "min_s": round(min(self.seconds), 3),
            "max_s": round(max(self.seconds), 3),
            "median_cpu_s": round(self.cpu_median, 3),
            "peak_mib": round(max(self.peak_mib), 1),
            "peak_all_processes_mib": round(max(self.total_mib), 1),
            "runs": len(self.seconds),
            "exit_codes": sorted(set(self.exit_codes)),
            **({"timed_out_after_s": self.timed_out} if self.timed_out else {}),
        }


PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class SessionMemory(threading.Thread):
    """The peak of the resident memory summed over every process of a session (the
    measured command and all its workers), sampled from ``/proc`` every ``interval``
    seconds. Pages a forked worker shares with its parent count in each process, so the sum
    is an upper bound; without ``/proc`` it stays 0 and the largest process stands in."""

    def __init__(self, session: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.session, self.interval = session, interval
        self.peak = 0
        self.done = threading.Event()

    def sample(self) -> None:
        total = 0
        try:
            names = os.listdir("/proc")
        except OSError:
            return
        for name in names:
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    stat = fh.read()
            except OSError:
                continue  # gone meanwhile
            fields = stat[stat.rfind(b")") + 2 :].split()  # from field 3 (state) on
            if len(fields) > 21 and int(fields[3]) == self.session:
                total += int(fields[21]) * PAGE
        self.peak = max(self.peak, total)

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.interval)


def timed(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float | None = None, log: Path | None = None) -> tuple[float, float, float, float, int]:
    """Wall-clock seconds, CPU seconds, peak resident memory of the largest process and of
    all its processes together (MiB), and the exit code of one command; a command still
    running after ``timeout`` seconds is killed with its children (exit -9). CPU is user +
    system time of the process and of every child it waited for (``wait4`` counts those),
    so worker processes are included."""
    start = time.perf_counter()
    errors = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=cwd, start_new_session=True)
    sampler = SessionMemory(proc.pid)
    sampler.start()
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL)) if timeout else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if timer:
        timer.cancel()
    if log:
        errors.close()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux, bytes on macOS
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    # a run shorter than the sampling interval may be missed by the sampler: never below the largest process
    total = max(sampler.peak / (1024 * 1024), peak)
    return elapsed, usage.ru_utime + usage.ru_stime, peak, total, proc.returncode


def measure(
    name: str,
    command: list[str],
    runs: int,
    env: dict[str, str] | None = None,
    before: object = None,
    timeout: float | None = None,
    ok_codes: tuple[int, ...] = (0, 1),
    log: Path | None = None,
) -> Measure:
    m = Measure(name, command)
    for _ in range(runs):
        if not _run_once(m, env, before, timeout, ok_codes, log):
            break
    _report(m)
    return m


def measure_in_turn(cases: list[dict[str, Any]], runs: int) -> list[Measure]:
    """Several cases run in turn (A B A B ...), each with ``measure``'s arguments: the
    machine's speed drifts over minutes, so a ratio between cases is taken run against run
    (``Measure.group``) rather than between medians measured minutes apart."""
    group = " / ".join(c["name"] for c in cases)
    measures = [Measure(c["name"], c["command"], group=group) for c in cases]
    live = list(range(len(cases)))
    for _ in range(runs):
        for i in list(live):
            c = cases[i]
            if not _run_once(measures[i], c.get("env"), c.get("before"), c.get("timeout"), c.get("ok_codes", (0, 1)), c.get("log")):
                live.remove(i)
    for m in measures:
        _report(m)
    return measures


def _run_once(m: Measure, env: dict[str, str] | None, before: object, timeout: float | None, ok_codes: tuple[int, ...], log: Path | None) -> bool:
    """One run of ``m``'s command, added to ``m``; False when it ran out of time."""
    if callable(before):
        before()
    seconds, cpu, peak, total, code = timed(m.command, env, timeout=timeout, log=log)
    m.seconds.append(seconds)
    m.cpu.append(cpu)
    m.total_mib.append(total)
    m.peak_mib.append(peak)
    m.exit_codes.append(code)
    if timeout and seconds >= timeout and code < 0:
        m.timed_out = timeout
        print(f"  {m.name:<28} did not finish in {timeout:.0f}s", flush=True)
        return False
    if code not in ok_codes:  # seawall: 0 clean, 1 findings; anything else did not scan, so its time means nothing
        raise SystemExit(f"{m.name}: exit code {code} from {' '.join(m.command)}; run it by hand to see why")
    return True


def _report(m: Measure) -> None:
    if m.seconds and not m.timed_out:
        print(f"  {m.name:<28} median {m.median:7.3f}s  [{min(m.seconds):.3f}-{max(m.seconds):.3f}]  cpu {m.cpu_median:7.3f}s  peak {max(m.total_mib):7.1f} MiB (all processes; largest {max(m.peak_mib):.1f})", flush=True)


def copy_format(corpus: Path, dest: Path, kind: str) -> Path:
    """The files of one input family, with their paths, into ``dest``."""
    sys.path.insert(0, str(ROOT))
    from linter.discover import classify_document

    if dest.exists():
        return dest
    for path in sorted(corpus.rglob("*")):
        if not path.is_file():
            continue
        if kind == "terraform":
            keep = path.suffix in TF_SUFFIXES
        else:
            keep = path.suffix in DOC_SUFFIXES and classify_document(str(path)) == kind
        if keep:
            target = dest / path.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return dest


def scaled(corpus: Path, factor: int) -> Path:
    dest = WORK / f"scale-{factor}"
    if not dest.exists():
        for i in range(factor):
            shutil.copytree(corpus, dest / f"copy-{i}", symlinks=True)
    return dest


def many_buckets(n: int) -> str:
    """One Terraform root of ``n`` S3 buckets, each configured by the companion resources
    that name it, as a real module writes them; every third bucket public by its ACL, every
    other one with its public access block off."""
    parts = ['resource "aws_s3_account_public_access_block" "account" {\n  block_public_acls = true\n}\n']
    for i in range(n):
        public_acl = "public-read" if i % 3 == 0 else "private"
        blocked = "true" if i % 2 else "false"
        parts.append(
            f"""
resource "aws_s3_bucket" "data_{i}" {{
  bucket = "acme-data-{i}"
  tags = {{
    team = "analytics"
  }}
}}

resource "aws_s3_bucket_ownership_controls" "data_{i}" {{
  bucket = aws_s3_bucket.data_{i}.id
  rule {{
    object_ownership = "BucketOwnerPreferred"
  }}
}}

resource "aws_s3_bucket_public_access_block" "data_{i}" {{
  bucket                  = aws_s3_bucket.data_{i}.id
  block_public_acls       = {blocked}
  block_public_policy     = {blocked}
  ignore_public_acls      = true
  restrict_public_buckets = {blocked}
}}

resource "aws_s3_bucket_acl" "data_{i}" {{
  depends_on = [aws_s3_bucket_ownership_controls.data_{i}]
  bucket     = aws_s3_bucket.data_{i}.id
  acl        = "{public_acl}"
}}

resource "aws_s3_bucket_policy" "data_{i}" {{
  bucket = aws_s3_bucket.data_{i}.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "Read"
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${{aws_s3_bucket.data_{i}.arn}}/*"
    }}]
  }})
}}
"""
        )
    return "".join(parts)


def buckets_root(n: int) -> Path:
    dest = WORK / f"buckets-{n}"
    if not (dest / "main.tf").exists():
        dest.mkdir(parents=True, exist_ok=True)
        (dest / "main.tf").write_text(many_buckets(n))
    return dest


BUCKETS = (1250, 5000)
EDITOR = "editor: didChange -> diagnostics, file of a 100-file module"


class LspSession:
    """``seawall lsp`` driven over standard input and output, as an editor drives it."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        self.memory = SessionMemory(self.proc.pid)
        self.memory.start()
        self.inbox: queue.SimpleQueue[dict[str, object] | None] = queue.SimpleQueue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.inbox.put(json.loads(out.read(length)))

    def send(self, message: dict[str, object]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        stdin = self.proc.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def request(self, method: str, params: dict[str, object]) -> dict[str, object]:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == self.next_id and "method" not in m)

    def wait(self, match: object, timeout: float = 600) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.inbox.get(timeout=max(deadline - time.monotonic(), 0.001))
            if message is None:
                raise SystemExit("seawall lsp exited")
            if callable(match) and match(message):
                return message

    def cpu(self) -> float:
        """User + system seconds of the server so far (Linux)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> tuple[float, float]:
        """Shut the server down: its peak memory, largest process and all processes (MiB)."""
        self.request("shutdown", {})
        self.send({"method": "exit"})
        _, _, usage = os.wait4(self.proc.pid, 0)
        self.memory.done.set()
        self.memory.join()
        peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        return peak, max(self.memory.peak / (1024 * 1024), peak)


def editor(runs: int, env: dict[str, str], edits: int = 30) -> Measure:
    """didChange -> publishDiagnostics on one file of a 100-file module, with no debounce:
    the server is started, opens the file (its module is parsed then), and each edit's
    latency is timed from sending the change to receiving that version's diagnostics. The
    median is over every edit of every run; CPU is the server's per edit."""
    module = editor_module(100)
    target = module / "f050.tf"
    text = target.read_text()
    uri = target.resolve().as_uri()
    m = Measure(EDITOR, [sys.executable, "-m", "linter", "lsp"])
    for _ in range(runs):
        session = LspSession(m.command, env)
        session.request("initialize", {"processId": os.getpid(), "rootUri": module.resolve().as_uri(), "capabilities": {}, "initializationOptions": {"debounceMs": 0}})
        session.send({"method": "initialized", "params": {}})

        def published(version: int) -> object:
            return lambda msg: msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == uri and msg["params"].get("version") == version

        session.send({"method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "terraform", "version": 1, "text": text}}})
        session.wait(published(1))
        cpu = session.cpu()
        for version in range(2, edits + 2):
            edited = text.replace('"acme-50"', f'"acme-50-{version}"')
            start = time.perf_counter()
            session.send({"method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited}]}})
            session.wait(published(version))
            m.seconds.append(time.perf_counter() - start)
        m.cpu.append((session.cpu() - cpu) / edits)
        peak, total = session.close()
        m.peak_mib.append(peak)
        m.total_mib.append(total)
        m.exit_codes.append(session.proc.returncode or 0)
    print(f"  {m.name:<28} median {m.median * 1000:7.1f} ms  [{min(m.seconds) * 1000:.1f}-{max(m.seconds) * 1000:.1f}]  cpu per edit {m.cpu_median * 1000:.1f} ms  peak {max(m.total_mib):7.1f} MiB", flush=True)
    return m


def module_file(i: int) -> str:
    """One file of a generated module: a variable, a bucket with its public access block and
    a security group (one in seven buckets not blocked, one in five groups open to all)."""
    restrict = "false" if i % 7 == 0 else "true"
    cidr = '"0.0.0.0/0"' if i % 5 == 0 else f"var.cidr_{i}"
    return f"""variable "cidr_{i}" {{
  type    = string
  default = "10.{i % 256}.0.0/16"
}}

resource "aws_s3_bucket" "b{i}" {{
  bucket = "acme-{i}"
}}

resource "aws_s3_bucket_public_access_block" "b{i}" {{
  bucket                  = aws_s3_bucket.b{i}.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = {restrict}
}}

resource "aws_security_group" "web{i}" {{
  name = "web-{i}"
  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [{cidr}]
  }}
}}
"""


def editor_module(files: int = 100) -> Path:
    dest = WORK / f"module-{files}"
    if not dest.exists():
        dest.mkdir(parents=True)
        for i in range(files):
            (dest / f"f{i:03d}.tf").write_text(module_file(i))
    return dest


# merely parsing the corpus in one process: HCL with python-hcl2's Lark parser or with
# tree-sitter's HCL grammar (seawall's parser), YAML and JSON with PyYAML's C loader
FLOORS = {
    "parse floor: Lark (python-hcl2) + PyYAML C, 1 process": "from hcl2.parser import parser\nparse = parser().parse",
    "parse floor: tree-sitter HCL + PyYAML C, 1 process": (
        "import tree_sitter_hcl\nfrom tree_sitter import Language, Parser\n_p = Parser(Language(tree_sitter_hcl.language()))\ndef parse(text):\n    return _p.parse(text.encode())"
    ),
}
FLOOR = r"""
import sys, yaml
from pathlib import Path
exec(sys.argv[2])  # defines parse(text) for HCL: one of FLOORS
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
for path in sorted(Path(sys.argv[1]).rglob("*")):
    if not path.is_file():
        continue
    text = path.read_text(errors="replace")
    if path.suffix in (".tf", ".tfvars"):
        try:
            parse(text if text.endswith("\n") else text + "\n")
        except Exception:
            pass
    elif path.suffix in (".yaml", ".yml", ".json", ".template"):
        try:
            list(yaml.compose_all(text, Loader=loader))
        except Exception:
            pass
"""


def fleet_case(size: int, runs: int, env: dict[str, str], cold: object, results: list[Measure]) -> dict[str, float]:
    """The fleet case (see the module's docstring): its measures go into ``results``; the
    rates (repositories per second) are returned."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fleetgen import generated_fleet

    root = WORK / f"fleet-{size}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    sources = generated_fleet(root, size)
    db = root / "history.db"
    scan = [sys.executable, "-m", "linter", "fleet", "scan", str(sources), "--history", str(db), "-q"]

    def fresh() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        if callable(cold):
            cold()

    rates = {}
    first = measure(f"fleet x{size}, first scan", scan, runs, env, fresh)
    again = measure(f"fleet x{size}, unchanged", scan, runs, env)
    results += [first, again]
    rates[f"fleet repositories/s: first scan, {os.cpu_count()} local workers"] = size / first.median
    rates["fleet repositories/s: unchanged"] = size / again.median
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("  fleet on a cluster: skipped (pip install 'seawall[fleet]')")
        return rates
    starter = "import sys; from distributed import LocalCluster; c = LocalCluster(n_workers=2, threads_per_worker=1, host='127.0.0.1', dashboard_address=None); print(c.scheduler_address, flush=True); sys.stdin.read()"
    helper = subprocess.Popen([sys.executable, "-c", starter], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        assert helper.stdout is not None
        address = helper.stdout.readline().strip()
        on_cluster = measure(f"fleet x{size}, first scan, cluster", scan + ["--cluster", address], runs, env, fresh)
        results.append(on_cluster)
        rates["fleet repositories/s: first scan, Dask cluster (2 workers)"] = size / on_cluster.median
    finally:
        helper.communicate(timeout=60)
    return rates


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", default="small,corpus,terraform,cloudformation,kubernetes,scale,workers,warm,buckets,editor,floor")
    parser.add_argument("--scales", default="1,4,16")
    parser.add_argument("--fleet-size", type=int, default=200, help="repositories in the generated fleet (the fleet case)")
    parser.add_argument("--checkov", choices=["auto", "yes", "no"], default="auto", help="also time Checkov (auto: when installed)")
    parser.add_argument("--checkov-cases", default="small,corpus,terraform,cloudformation,kubernetes", help="the cases Checkov also runs (when it runs)")
    parser.add_argument("--checkov-timeout", type=float, default=2400, help="seconds after which a Checkov run is stopped")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    parser.add_argument("--readme", action="store_true", help="write the README table (between its bench markers)")
    args = parser.parse_args()

    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2
    cases = set(args.cases.split(","))
    checkov_cases = set(args.checkov_cases.split(","))
    WORK.mkdir(parents=True, exist_ok=True)
    seawall = [sys.executable, "-m", "linter", "scan", "--no-config", "--format", "json"]
    # exit code 1 means "findings" to seawall and "no such module" to Python: check first
    probe = subprocess.run([sys.executable, "-m", "linter", "--version"], capture_output=True, text=True)
    if probe.returncode != 0 or not probe.stdout.startswith("seawall"):
        print(f"seawall is not importable by {sys.executable}; install it (pip install .) or run from a checkout", file=sys.stderr)
        return 2
    checkov_bin = shutil.which("checkov") if args.checkov != "no" else None
    if args.checkov == "yes" and not checkov_bin:
        print("checkov is not installed", file=sys.stderr)
        return 2
    checkov_env = {**os.environ, "CHECKOV_PARALLELIZATION_TYPE": os.environ.get("CHECKOV_PARALLELIZATION_TYPE", "thread")}
    cache_dir = Path(tempfile.mkdtemp(prefix="seawall-bench-cache-"))
    env = {**os.environ, "SEAWALL_CACHE_DIR": str(cache_dir)}

    def cold() -> None:
        """A cold cache: no parse and no unit result. The rules' entry stays: it is filled
        once per installation (the ``first run`` case measures a completely empty cache)."""
        for packed in cache_dir.glob("*/cache.sqlite"):
            with contextlib.closing(sqlite3.connect(packed)) as db:
                db.execute("DELETE FROM entries WHERE key NOT LIKE 'blob:%'")
                db.commit()
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def empty() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)
        cache_dir.mkdir()

    print(f"machine: {machine()}")
    print(f"corpus: {corpus}")
    results: list[Measure] = []
    checkov: dict[str, Measure] = {}
    targets: list[tuple[str, Path]] = []
    if "small" in cases:
        # one small file in a directory of its own (scanning a file loads its whole module)
        small = WORK / "small" / "network.tf"
        small.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "examples" / "network.tf", small)
        results.append(measure("small file, first run", seawall + [str(small)], args.runs, env, empty))
        small_cases = [dict(name="small file, cold", command=seawall + [str(small)], env=env, before=cold)]
        if checkov_bin and "small" in checkov_cases:
            small_cases.append(dict(name="checkov: small file", command=[checkov_bin, "-f", str(small), "--quiet", "-o", "json"], env=checkov_env, timeout=args.checkov_timeout, ok_codes=CHECKOV_CODES, log=WORK / "checkov-small.log"))
        measured = measure_in_turn(small_cases, args.runs)
        results.append(measured[0])
        if len(measured) > 1:
            checkov["small file, cold"] = measured[1]
    if "corpus" in cases:
        targets.append(("corpus, cold", corpus))
    for kind in ("terraform", "cloudformation", "kubernetes"):
        if kind in cases:
            targets.append((f"{kind} only, cold", copy_format(corpus, WORK / kind, kind)))
    for name, path in targets:
        results.append(measure(name, seawall + [str(path)], args.runs, env, cold, ok_codes=TREE_CODES))
        if checkov_bin and name.split(" ")[0].rstrip(",") in checkov_cases:
            log = WORK / f"checkov-{name.split(',')[0].replace(' ', '-')}.log"
            checkov[name] = measure(f"checkov: {name}", [checkov_bin, "-d", str(path), "--quiet", "-o", "json"], max(1, args.runs // 2), checkov_env, timeout=args.checkov_timeout, ok_codes=CHECKOV_CODES, log=log)
    if "scale" in cases:
        factors = [int(x) for x in args.scales.split(",")]
        runs = max(1, args.runs if max(factors) < 16 else min(args.runs, 3))
        results.extend(measure_in_turn([dict(name=f"corpus x{f}, cold", command=seawall + [str(scaled(corpus, f))], env=env, before=cold, ok_codes=TREE_CODES) for f in factors], runs))
    if "workers" in cases:
        # parallel efficiency: the same cold scan in one process and with two workers, in turn
        results.extend(measure_in_turn([dict(name=f"corpus, cold, {n} worker{'s' if n > 1 else ''}", command=seawall + ["--workers", str(n), str(corpus)], env=env, before=cold, ok_codes=TREE_CODES) for n in (1, 2)], args.runs))
    if "warm" in cases:
        cold()
        timed(seawall + [str(corpus)], env)  # fill the cache
        results.append(measure("corpus, warm cache", seawall + [str(corpus)], args.runs, env, ok_codes=TREE_CODES))
    if "buckets" in cases:
        for n in BUCKETS:
            results.append(measure(f"{n:,} buckets, cold", seawall + [str(buckets_root(n))], max(1, args.runs if n < max(BUCKETS) else min(args.runs, 3)), env, cold))
    if "editor" in cases:
        results.append(editor(max(1, min(args.runs, 3)), env))
    if "floor" in cases:
        for name, setup in FLOORS.items():
            results.append(measure(name, [sys.executable, "-c", FLOOR, str(corpus), setup], args.runs))
    fleet_rates: dict[str, float] = {}
    if "fleet" in cases:
        fleet_rates = fleet_case(args.fleet_size, args.runs, env, cold, results)
    shutil.rmtree(cache_dir, ignore_errors=True)

    by_name = {m.name: m for m in results}
    summary: dict[str, object] = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "corpus": str(corpus), "results": [m.row() for m in results]}
    ratios: dict[str, float] = {}

    def pair(label: str, a: Measure | None, b: Measure | None) -> None:
        """``a / b`` in wall time and in CPU time: the median of the runs' ratios when the two
        ran in turn (``measure_in_turn``), else the ratio of the medians."""
        if not (a and b):
            return
        if a.group and a.group == b.group and len(a.seconds) == len(b.seconds):
            ratios[f"{label}, wall"] = statistics.median(x / y for x, y in zip(a.seconds, b.seconds, strict=True))
            ratios[f"{label}, CPU"] = statistics.median(x / y for x, y in zip(a.cpu, b.cpu, strict=True))
        else:
            ratios[f"{label}, wall"] = a.median / b.median
            ratios[f"{label}, CPU"] = a.cpu_median / b.cpu_median

    cold_corpus = by_name.get("corpus, cold")
    for floor in FLOORS:
        pair(f"corpus cold / {floor}", cold_corpus, by_name.get(floor))
    pair("corpus cold / warm", cold_corpus, by_name.get("corpus, warm cache"))
    pair("corpus cold, 2 workers / 1 worker (target CPU at most 1.1)", by_name.get("corpus, cold, 2 workers"), by_name.get("corpus, cold, 1 worker"))
    scales = sorted((int(m.name.split("x")[1].split(",")[0]), m) for m in results if m.name.startswith("corpus x"))
    if len(scales) > 1:
        base_factor, base = scales[0]
        for factor, m in scales[1:]:
            pair(f"corpus x{factor} / x{base_factor}", m, base)
            ratios[f"corpus x{factor} / x{base_factor}, peak memory of all processes"] = max(m.total_mib) / max(base.total_mib)
    few, many = (by_name.get(f"{n:,} buckets, cold") for n in BUCKETS)
    pair(f"{BUCKETS[1]:,} / {BUCKETS[0]:,} buckets (x{BUCKETS[1] // BUCKETS[0]} input, target at most x4.5)", many, few)
    for name, m in checkov.items():
        if name in by_name:
            # a Checkov run that was stopped counts as its time limit: the ratio is a lower bound
            pair(f"checkov / seawall: {name}" + (" (at least)" if m.timed_out else ""), m, by_name[name])
            ratios[f"checkov / seawall: {name}, peak memory of all processes"] = max(m.total_mib) / max(by_name[name].total_mib)
    ratios.update(fleet_rates)
    summary["ratios"] = {k: round(v, 2) for k, v in ratios.items()}
    summary["checkov"] = {k: m.row() for k, m in checkov.items()}
    print("ratios:")
    for k, v in ratios.items():
        print(f"  {k:<70} {v:7.2f}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    if args.markdown or args.readme:
        shown = [a for i, a in enumerate(sys.argv[1:]) if a != "--json" and (i == 0 or sys.argv[i] != "--json")]  # not where the JSON went
        table = markdown(results, checkov, ratios, args.runs, " ".join(shown))
        if args.markdown:
            print()
            print(table)
        if args.readme:
            write_readme(table)
    return 0


README_START, README_END = "<!-- bench:start (python bench/run.py --readme) -->", "<!-- bench:end -->"


def markdown(results: list[Measure], checkov: dict[str, Measure], ratios: dict[str, float], runs: int, arguments: str) -> str:
    """The README's Speed table: every case of one run, Checkov beside it, then the ratios."""
    out = [
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}: `python bench/run.py {arguments}`, "
        f"up to {runs} runs per case, medians. CPU is user + system seconds of every process of the run; "
        "memory is the peak of the resident memory summed over all its processes.",
        "",
        "| case | wall | spread | CPU | peak memory |" + (" Checkov wall | Checkov CPU | Checkov memory | Checkov / seawall CPU |" if checkov else ""),
        "|---|---|---|---|---|" + ("---|---|---|---|" if checkov else ""),
    ]
    for m in results:
        row = f"| {m.name} | {_s(m.median)} | {_s(min(m.seconds))}–{_s(max(m.seconds))} | {_s(m.cpu_median)} | {max(m.total_mib):.0f} MiB |"
        if checkov:
            c = checkov.get(m.name)
            if c and c.timed_out:
                row += f" not finished in {c.timed_out:.0f} s | | {max(c.total_mib):.0f} MiB | |"
            elif c:
                row += f" {_s(c.median)} | {_s(c.cpu_median)} | {max(c.total_mib):.0f} MiB | {c.cpu_median / m.cpu_median:.1f}x |"
            else:
                row += " | | | |"
        out.append(row)
    out.append("")
    out.extend(f"- {k}: {v:.2f}" for k, v in ratios.items())
    for m in results:
        if any(code not in (0, 1) for code in m.exit_codes):
            out.append(f"- seawall exit codes for {m.name}: {sorted(set(m.exit_codes))} (2: input errors reported, everything else checked)")
    for name, c in checkov.items():
        if any(code not in (0, 1) for code in c.exit_codes):
            out.append(f"- Checkov exit codes for {name}: {sorted(set(c.exit_codes))} (see bench/.work/checkov-*.log)")
    return "\n".join(out)


def _s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def write_readme(table: str) -> None:
    """Replace the generated part of the README's Speed section with ``table``."""
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"README.md has no {README_START} ... {README_END} block")
    readme.write_text(text[: start + len(README_START)] + "\n" + table + "\n" + text[end:])


if __name__ == "__main__":
    sys.exit(main())
