"""What a person sees in a terminal: colour and progress only on a TTY, NO_COLOR, --quiet,
and the code frames under each finding."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from linter.model import Severity, Span
from linter.outputs.text import _display, code_frame
from linter.progress import TerminalProgress
from linter.terminal import color_wanted, progress_wanted

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_in_terminal(args: list[str], env: dict[str, str] | None = None, stdout_tty: bool = True, stderr_tty: bool = True) -> tuple[int, str, str]:
    """Run seawall with stdout and stderr each on a pseudo-terminal or a pipe; (exit code, stdout, stderr)."""
    ends = [pty.openpty() if tty else os.pipe() for tty in (stdout_tty, stderr_tty)]  # (read end, write end)
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM", "SEAWALL_PROGRESS_DELAY")}
    full_env.update({"TERM": "xterm-256color", "COLUMNS": "160", **(env or {})})
    proc = subprocess.Popen([sys.executable, "-m", "linter", *args], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=ends[0][1], stderr=ends[1][1], env=full_env)
    for _, write in ends:
        os.close(write)
    data = {read: bytearray() for read, _ in ends}
    waiting = [read for read, _ in ends]
    while waiting:
        ready, _, _ = select.select(waiting, [], [], 60)
        assert ready, "seawall produced nothing for a minute"
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # a terminal whose other side closed (EIO)
                chunk = b""
            if chunk:
                data[fd] += chunk
            else:
                waiting.remove(fd)
    code = proc.wait(timeout=120)
    texts = []
    for read, _ in ends:
        os.close(read)
        texts.append(data[read].decode().replace("\r\n", "\n"))
    return code, texts[0], texts[1]


def test_colour_on_a_terminal_plain_in_a_pipe() -> None:
    code, out, _ = run_in_terminal(["scan", "examples", "--no-config"])
    assert code == 1
    assert ANSI.search(out), "a terminal gets colour"
    piped = subprocess.run([sys.executable, "-m", "linter", "scan", "examples", "--no-config"], cwd=ROOT, capture_output=True, text=True)
    assert not ANSI.search(piped.stdout), "a pipe gets plain text"
    # the same report once the colour is taken away
    assert ANSI.sub("", out) == piped.stdout


def test_no_color_and_the_color_flag() -> None:
    _, out, _ = run_in_terminal(["scan", "examples", "--no-config"], env={"NO_COLOR": "1"})
    assert not ANSI.search(out)
    forced = subprocess.run([sys.executable, "-m", "linter", "scan", "examples", "--no-config", "--color", "always"], cwd=ROOT, capture_output=True, text=True)
    assert ANSI.search(forced.stdout)
    _, never, _ = run_in_terminal(["scan", "examples", "--no-config", "--color", "never"])
    assert not ANSI.search(never)
    # severity colours: critical and high differ
    assert "\x1b[95m\x1b[1mCRITICAL" in forced.stdout and "\x1b[31m\x1b[1mHIGH" in forced.stdout


def test_colour_decisions(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert color_wanted("auto", Tty()) and not color_wanted("auto", io.StringIO())
    assert color_wanted("always", io.StringIO()) and not color_wanted("never", Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not color_wanted("auto", Tty())
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: only a non-empty value counts
    assert color_wanted("auto", Tty())
    monkeypatch.setenv("TERM", "dumb")
    assert not color_wanted("auto", Tty())
    monkeypatch.setenv("TERM", "xterm")
    assert progress_wanted("text", False, Tty())
    assert not progress_wanted("text", True, Tty()), "--quiet: no progress"
    assert not progress_wanted("sarif", False, Tty()), "machine formats: no progress"
    assert not progress_wanted("text", False, io.StringIO()), "a pipe or a CI log: no progress"


def test_progress_only_on_a_terminal_stderr() -> None:
    env = {"SEAWALL_PROGRESS_DELAY": "0"}
    code, out, err = run_in_terminal(["scan", "examples", "--no-config"], env=env, stdout_tty=False, stderr_tty=True)
    assert code == 1
    assert "evaluating rules" in err, "a bar on the terminal"
    assert not ANSI.search(out) and "evaluating rules" not in out, "the report in the pipe is untouched"
    # stderr piped (CI logs): nothing but the report
    code, out, err = run_in_terminal(["scan", "examples", "--no-config"], env=env, stdout_tty=False, stderr_tty=False)
    assert err == "" and "10 findings" in out
    # machine formats and --quiet never draw one, even on a terminal
    for extra in (["--format", "json"], ["--quiet"]):
        _, _, err = run_in_terminal(["scan", "examples", "--no-config", *extra], env=env, stdout_tty=False, stderr_tty=True)
        assert "evaluating rules" not in err


def test_progress_waits_before_drawing() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    quick = TerminalProgress(Tty(), delay=60)
    quick.phase("parsing files", 10)
    quick.advance(10)
    quick.close()
    assert not quick.shown and quick.stream.getvalue() == ""  # type: ignore[attr-defined]
    slow = TerminalProgress(Tty(), delay=0)
    slow.phase("parsing files", 10)
    slow.advance(4)
    assert slow.shown and slow.done == 4
    slow.close()


def test_quiet_prints_findings_only() -> None:
    quiet = subprocess.run([sys.executable, "-m", "linter", "scan", "examples", "--no-config", "-q"], cwd=ROOT, capture_output=True, text=True)
    full = subprocess.run([sys.executable, "-m", "linter", "scan", "examples", "--no-config"], cwd=ROOT, capture_output=True, text=True)
    assert quiet.returncode == full.returncode == 1
    assert "findings by file" not in quiet.stdout and "10 findings" not in quiet.stdout
    heads = [line for line in quiet.stdout.splitlines() if re.match(r"^examples/\S+:\d+:\d+: (CRITICAL|HIGH|LOW) ", line)]
    assert len(heads) == 10
    assert full.stdout.startswith(quiet.stdout.rstrip("\n"))
    clean = subprocess.run([sys.executable, "-m", "linter", "scan", "examples/variables.tf", "--no-config", "-q"], cwd=ROOT, capture_output=True, text=True)
    assert clean.returncode == 0 and clean.stdout == ""


def test_summary_by_severity_and_file() -> None:
    full = subprocess.run([sys.executable, "-m", "linter", "scan", "examples", "--no-config"], cwd=ROOT, capture_output=True, text=True)
    tail = full.stdout.split("findings by file:\n", 1)[1].splitlines()
    assert tail[:4] == [
        "  examples/cluster.tf   1 low",
        "  examples/database.tf  2 critical",
        "  examples/network.tf   2 high, 1 low",
        "  examples/storage.tf   2 critical, 2 high",
    ]
    assert tail[4].startswith("10 findings (4 critical, 4 high, 2 low) in 4 files: 4 public now, 1 public by default, 2 public if, 3 one step away;")


def test_code_frame_underlines_the_setting() -> None:
    lines = (ROOT / "examples" / "database.tf").read_text().split("\n")
    frame = code_frame(lines, Span("examples/database.tf", 36, 3, 36, 32), lambda t, **_: t, Severity.CRITICAL)
    assert frame == [
        "       |",
        "    35 |   vpc_security_group_ids = [aws_security_group.telemetry_db.id]",
        "    36 |   publicly_accessible    = true",
        "       |   " + "^" * 29,
        "    37 |   storage_encrypted      = true",
        "       |",
    ]


def test_code_frame_edge_cases() -> None:
    plain = lambda t, **_: t  # noqa: E731
    # tabs are expanded and the underline follows them
    text, start, end = _display("\tacl\t= \"public-read\"", 2, 5)
    assert text == '    acl = "public-read"' and (start, end) == (4, 7)
    # a minified line is cut around the mark
    long = '{"a": "' + "x" * 300 + '", "acl": "public-read"}'
    col = long.index('"acl"') + 1
    text, start, end = _display(long, col, col + 5)
    assert len(text) <= 102 and text[start:end] == '"acl"'
    # secrets in a frame are masked like every other output
    text, _, _ = _display('  password = "AKIAIOSFODNN7EXAMPLE"', 3, 11)
    assert "AKIAIOSFODNN7EXAMPLE" not in text
    # a long setting shows its first and last lines; a line out of range shows nothing
    lines = [f"line {i}" for i in range(1, 21)]
    frame = code_frame(lines, Span("f", 5, 1, 12, 3), plain, Severity.LOW)
    assert [f.split("|")[0].strip() for f in frame] == ["", "4", "5", "", "..", "12", "13", ""]
    assert code_frame(lines, Span("f", 99), plain, Severity.LOW) == []
    assert code_frame([], Span("f", 1), plain, Severity.LOW) == []


def test_an_input_error_shows_its_line(tmp_path: Path) -> None:
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "b" {\n  acl = \n}\n')
    proc = subprocess.run([sys.executable, "-m", "linter", "scan", str(tmp_path), "--no-config"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert re.match(r".*broken\.tf:\d+:\d+: ERROR invalid HCL", lines[0])
    assert any(re.match(r"\s+2 \|   acl =", line) for line in lines)
