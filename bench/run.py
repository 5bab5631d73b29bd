#!/usr/bin/env python3
"""seawall's benchmark: whole-process timings, as ratios against baselines.

    python bench/run.py                      # all cases, 5 runs each, on ../shared/corpus
    python bench/run.py --runs 3 --markdown  # the README table
    python bench/run.py --cases small,corpus --json bench/results.json

Every case runs seawall as a separate process (what a user or a pre-commit hook pays),
several times; it reports the median, the spread (min–max) and the peak memory of the
process (from ``wait4``). Cases:

- ``small``: one small Terraform file in a cold process with a cold parse cache (the
  pre-commit and editor case), and the same with a completely empty cache (the first run
  after installing, which also checks the rule files against their schema once);
- ``corpus``: the whole corpus, cold cache; and ``terraform``, ``cloudformation``,
  ``kubernetes``: each format's part of it;
- ``scale``: copies of the corpus, x1, x4 and x16, to show how cost grows;
- ``warm``: the unchanged corpus scanned again with a warm parse cache;
- ``floor``: merely parsing the same files with python-hcl2 (its Lark parser) and PyYAML's C
  loader, the limit a Python tool built on these parsers cannot beat without caching;
- ``fleet``: ``seawall fleet scan`` over a generated fleet (``--fleet-size`` small git
  repositories with history, tests/fleetgen.py): a first scan into an empty history (with
  the history walk), the same fleet again (nothing changed: nothing scanned), and, when
  Dask ``distributed`` is installed, the first scan on a local cluster (a scheduler and two
  worker processes on loopback); printed as repositories per second.

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
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
TF_SUFFIXES = (".tf", ".tfvars")
DOC_SUFFIXES = (".yaml", ".yml", ".json", ".template")
# Checkov: 0 passed, 1 failed checks, 2 an error it reported (its standard error is kept in
# bench/.work/checkov-*.log; the exit codes are printed with the results)
CHECKOV_CODES = (0, 1, 2)


@dataclass
class Measure:
    name: str
    command: list[str]
    seconds: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    timed_out: float = 0.0  # the limit a run exceeded, if one did

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def row(self) -> dict[str, object]:
        return {
            "case": self.name,
            "median_s": round(self.median, 3),
            "min_s": round(min(self.seconds), 3),
            "max_s": round(max(self.seconds), 3),
            "peak_mib": round(max(self.peak_mib), 1),
            "runs": len(self.seconds),
            "exit_codes": sorted(set(self.exit_codes)),
            **({"timed_out_after_s": self.timed_out} if self.timed_out else {}),
        }


def timed(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float | None = None, log: Path | None = None) -> tuple[float, float, int]:
    """Wall-clock seconds, peak resident memory (MiB) and exit code of one process; a
    process still running after ``timeout`` seconds is killed with its children (exit -9)."""
    start = time.perf_counter()
    errors = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=cwd, start_new_session=True)
    timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL)) if timeout else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if timer:
        timer.cancel()
    if log:
        errors.close()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux, bytes on macOS
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return elapsed, peak, proc.returncode


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
        if callable(before):
            before()
        seconds, peak, code = timed(command, env, timeout=timeout, log=log)
        m.seconds.append(seconds)
        m.peak_mib.append(peak)
        m.exit_codes.append(code)
        if timeout and seconds >= timeout and code < 0:
            m.timed_out = timeout
            print(f"  {name:<28} did not finish in {timeout:.0f}s", flush=True)
            return m
        if code not in ok_codes:  # seawall: 0 clean, 1 findings; anything else did not scan, so its time means nothing
            raise SystemExit(f"{name}: exit code {code} from {' '.join(command)}; run it by hand to see why")
    print(f"  {name:<28} median {m.median:7.3f}s  [{min(m.seconds):.3f}-{max(m.seconds):.3f}]  peak {max(m.peak_mib):7.1f} MiB", flush=True)
    return m


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


FLOOR = r"""
import sys, yaml
from pathlib import Path
from hcl2.parser import parser
p = parser()
loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
for path in sorted(Path(sys.argv[1]).rglob("*")):
    if not path.is_file():
        continue
    text = path.read_text(errors="replace")
    if path.suffix in (".tf", ".tfvars"):
        try:
            p.parse(text if text.endswith("\n") else text + "\n")
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
    parser.add_argument("--cases", default="small,corpus,terraform,cloudformation,kubernetes,scale,warm,floor")
    parser.add_argument("--scales", default="1,4,16")
    parser.add_argument("--fleet-size", type=int, default=200, help="repositories in the generated fleet (the fleet case)")
    parser.add_argument("--checkov", choices=["auto", "yes", "no"], default="auto", help="also time Checkov (auto: when installed)")
    parser.add_argument("--checkov-timeout", type=float, default=2400, help="seconds after which a Checkov run is stopped")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    args = parser.parse_args()

    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        print(f"corpus not found: {corpus}", file=sys.stderr)
        return 2
    cases = set(args.cases.split(","))
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
        """A cold parse cache. The rules' entry stays: it is filled once per installation
        (the ``first run`` case measures a completely empty cache)."""
        for kind_dir in cache_dir.glob("*/*"):
            if kind_dir.is_dir():
                shutil.rmtree(kind_dir, ignore_errors=True)

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
        results.append(measure("small file, cold", seawall + [str(small)], args.runs, env, cold))
        if checkov_bin:
            checkov["small file, cold"] = measure("checkov: small file", [checkov_bin, "-f", str(small), "--quiet", "-o", "json"], args.runs, checkov_env, timeout=args.checkov_timeout, ok_codes=CHECKOV_CODES, log=WORK / "checkov-small.log")
    if "corpus" in cases:
        targets.append(("corpus, cold", corpus))
    for kind in ("terraform", "cloudformation", "kubernetes"):
        if kind in cases:
            targets.append((f"{kind} only, cold", copy_format(corpus, WORK / kind, kind)))
    for name, path in targets:
        results.append(measure(name, seawall + [str(path)], args.runs, env, cold))
        if checkov_bin:
            log = WORK / f"checkov-{name.split(',')[0].replace(' ', '-')}.log"
            checkov[name] = measure(f"checkov: {name}", [checkov_bin, "-d", str(path), "--quiet", "-o", "json"], max(1, args.runs // 2), checkov_env, timeout=args.checkov_timeout, ok_codes=CHECKOV_CODES, log=log)
    if "scale" in cases:
        for factor in [int(x) for x in args.scales.split(",")]:
            tree = scaled(corpus, factor)
            results.append(measure(f"corpus x{factor}, cold", seawall + [str(tree)], max(1, args.runs if factor < 16 else min(args.runs, 3)), env, cold))
    if "warm" in cases:
        cold()
        timed(seawall + [str(corpus)], env)  # fill the cache
        results.append(measure("corpus, warm cache", seawall + [str(corpus)], args.runs, env))
    if "floor" in cases:
        results.append(measure("parse floor (corpus)", [sys.executable, "-c", FLOOR, str(corpus)], args.runs))
    fleet_rates: dict[str, float] = {}
    if "fleet" in cases:
        fleet_rates = fleet_case(args.fleet_size, args.runs, env, cold, results)
    shutil.rmtree(cache_dir, ignore_errors=True)

    by_name = {m.name: m for m in results}
    summary: dict[str, object] = {"machine": machine(), "corpus": str(corpus), "results": [m.row() for m in results]}
    ratios: dict[str, float] = {}
    if "corpus, cold" in by_name and "parse floor (corpus)" in by_name:
        ratios["corpus cold / parse floor"] = by_name["corpus, cold"].median / by_name["parse floor (corpus)"].median
    if "corpus, cold" in by_name and "corpus, warm cache" in by_name:
        ratios["corpus cold / warm"] = by_name["corpus, cold"].median / by_name["corpus, warm cache"].median
    scales = sorted((int(m.name.split("x")[1].split(",")[0]), m) for m in results if m.name.startswith("corpus x"))
    if len(scales) > 1:
        base_factor, base = scales[0]
        for factor, m in scales[1:]:
            ratios[f"x{factor} time / x{base_factor} time"] = m.median / base.median
    for name, m in checkov.items():
        if name in by_name:
            # a Checkov run that was stopped counts as its time limit: the ratio is a lower bound
            ratios[f"checkov / seawall: {name}" + (" (at least)" if m.timed_out else "")] = m.median / by_name[name].median
            ratios[f"checkov / seawall peak memory: {name}"] = max(m.peak_mib) / max(by_name[name].peak_mib)
    ratios.update(fleet_rates)
    summary["ratios"] = {k: round(v, 2) for k, v in ratios.items()}
    summary["checkov"] = {k: m.row() for k, m in checkov.items()}
    print("ratios:")
    for k, v in ratios.items():
        print(f"  {k:<50} {v:6.2f}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    if args.markdown:
        print()
        print(f"Measured on {machine()}, {args.runs} runs per case (`python bench/run.py`).\n")
        print("| case | median | spread | peak memory |" + (" Checkov median | Checkov peak | Checkov / seawall |" if checkov else ""))
        print("|---|---|---|---|" + ("---|---|---|" if checkov else ""))
        for m in results:
            row = f"| {m.name} | {m.median:.2f} s | {min(m.seconds):.2f}–{max(m.seconds):.2f} s | {max(m.peak_mib):.0f} MiB |"
            if checkov:
                c = checkov.get(m.name)
                if c and c.timed_out:
                    row += f" not finished in {c.timed_out:.0f} s | {max(c.peak_mib):.0f} MiB | > {c.timed_out / m.median:.0f}x |"
                elif c:
                    row += f" {c.median:.2f} s | {max(c.peak_mib):.0f} MiB | {c.median / m.median:.1f}x |"
                else:
                    row += " | | |"
            print(row)
        print()
        for k, v in ratios.items():
            print(f"- {k}: {v:.2f}")
        for name, c in checkov.items():
            if any(code not in (0, 1) for code in c.exit_codes):
                print(f"- Checkov exit codes for {name}: {sorted(set(c.exit_codes))} (see bench/.work/checkov-*.log)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
