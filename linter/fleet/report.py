"""``seawall fleet report``: what the history says, as Markdown and as one static HTML page.

It answers: what is public now across the fleet (grouped by verdict, then severity, each
with its age: "public for 412 days"), the oldest and the newest exposures, each
repository's count, what appeared and what was fixed in the last run, and which
repositories could not be scanned and why. Suppressed findings are counted apart.

An age is counted from the first-seen commit's committer date (a folder or a state file
outside git: from the run that first saw it); "at least" when the history walk stopped
before the exposure's start (``history.first_seen``).

Links to file lines come from the source's ``link=`` template (``{commit}``, ``{file}``,
``{line}``, ``{name}``); without one, a GitHub or GitLab https URL gets its ``blob`` link at
the commit, and a local checkout a ``file://`` link to the file (a link, not a copy: the
page stays one file). The HTML page has no script and loads nothing: its style is inline.
"""

from __future__ import annotations

import html
import json
import re
import time
import urllib.parse
from typing import Any

from msgspec import Struct, field

from linter.fleet.history import History

VERDICT_ORDER = ("exposed", "default", "conditional", "posture")
SEVERITY_ORDER = ("critical", "high", "medium", "low")
VERDICT_MEANING = {
    "exposed": "public as written",
    "default": "public through a variable's or parameter's default",
    "conditional": "public in some of the cases the code allows",
    "posture": "a protection that is off",
}
LIST_LIMIT = 10
_FORGE = re.compile(r"^https://(github\.com|gitlab\.com)/([^/]+/[^/]+?)(?:\.git)?/?$")


class Exposure(Struct, frozen=True):
    repository: str
    rule_id: str
    severity: str
    verdict: str
    title: str
    message: str
    file: str
    line: int
    resource: str
    suppression: str
    first_commit: str
    first_time: int
    first_exact: bool
    fixed_commit: str
    fixed_time: int | None
    link: str
    days: int

    @property
    def age(self) -> str:
        if self.days < 1:
            return "public for less than a day" if self.first_exact else "public for at least a few hours"
        days = f"{self.days} day{'s' if self.days != 1 else ''}"
        return f"public for {days}" if self.first_exact else f"public for at least {days}"

    @property
    def since(self) -> str:
        return f"{_date(self.first_time)}{'' if self.first_exact else ' or earlier'}" + (f" ({self.first_commit[:12]})" if self.first_commit and ":" not in self.first_commit else "")


class Repo(Struct):
    name: str
    commit: str
    status: str
    problem: str
    errors: list[str]
    counts: dict[str, int] = field(default_factory=dict)


class FleetReport(Struct):
    now: int
    run: dict[str, Any] | None
    public: list[Exposure]
    suppressed: list[Exposure]
    appeared: list[Exposure]
    fixed: list[Exposure]
    repositories: list[Repo]

    @property
    def unscannable(self) -> list[Repo]:
        return [r for r in self.repositories if r.status == "error" or r.errors]

    def grouped(self) -> list[tuple[str, str, list[Exposure]]]:
        out = []
        for verdict in VERDICT_ORDER:
            for severity in SEVERITY_ORDER:
                group = [e for e in self.public if e.verdict == verdict and e.severity == severity]
                if group:
                    out.append((verdict, severity, sorted(group, key=lambda e: (e.first_time, e.repository, e.file, e.line))))
        return out


def build(history: History, now: int | None = None) -> FleetReport:
    now = int(time.time()) if now is None else now
    run_row = next(history.rows("SELECT * FROM runs ORDER BY id DESC LIMIT 1"), None)
    run = dict(run_row) if run_row is not None else None
    last = run["id"] if run else -1
    repos = {}
    for r in history.rows("SELECT * FROM repositories ORDER BY name"):
        repos[r["name"]] = r
    # the fleet now: the repositories of every run since the last one that finished (a run
    # that was stopped recorded only some); the history keeps the ones no longer listed
    done = next(history.rows("SELECT max(id) AS id FROM runs WHERE status = 'done'"))["id"]
    since = done if done is not None else 0
    listed = {r["repository"] for r in history.rows("SELECT DISTINCT repository FROM outcomes WHERE run >= ?", since)}

    def exposure(row: Any) -> Exposure:
        repo = repos.get(row["repository"])
        link = _link(repo, row["last_commit"] or "", row["file"], row["line"]) if repo is not None else ""
        return Exposure(
            row["repository"], row["rule_id"], row["severity"], row["verdict"], row["title"], row["message"], row["file"], row["line"], row["resource"],
            row["suppression"], row["first_commit"] or "", row["first_time"], bool(row["first_exact"]), row["fixed_commit"] or "", row["fixed_time"],
            link, max(0, (now - row["first_time"]) // 86400),
        )  # fmt: skip

    current = [exposure(r) for r in history.rows("SELECT * FROM exposures WHERE fixed_run IS NULL ORDER BY repository, file, line") if r["repository"] in listed]
    public = [e for e in current if not e.suppression]
    suppressed = [e for e in current if e.suppression]
    appeared = [exposure(r) for r in history.rows("SELECT * FROM exposures WHERE first_run = ? AND fixed_run IS NULL ORDER BY repository, file, line", last)]
    fixed = [exposure(r) for r in history.rows("SELECT * FROM exposures WHERE fixed_run = ? ORDER BY repository, file, line", last)]
    out_repos = []
    for name, r in repos.items():
        if name not in listed:
            continue
        counts = {v: 0 for v in VERDICT_ORDER}
        for e in public:
            if e.repository == name:
                counts[e.verdict] = counts.get(e.verdict, 0) + 1
        out_repos.append(Repo(name, r["commit_id"] or "", r["status"] or "", r["problem"], json.loads(r["errors"]) if r["status"] != "error" else [], counts))
    return FleetReport(now, run, public, suppressed, appeared, fixed, out_repos)


def _link(repo: Any, commit: str, file: str, line: int) -> str:
    template = repo["link"]
    if not template:
        forge = _FORGE.match(repo["location"])
        if forge and commit:
            template = f"https://{forge.group(1)}/{forge.group(2)}/blob/{{commit}}/{{file}}#L{{line}}"
        elif repo["root"]:
            return "file://" + urllib.parse.quote(f"{repo['root'].rstrip('/')}/{file}")
        else:
            return ""
    return template.format(commit=commit, file=urllib.parse.quote(file), line=line, name=urllib.parse.quote(repo["name"]))


def _date(when: int | None) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(when)) if when is not None else ""


def _stamp(when: int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(when)) if when is not None else ""


def _oldest(report: FleetReport) -> list[Exposure]:
    return sorted(report.public, key=lambda e: (e.first_time, e.repository, e.file, e.line))[:LIST_LIMIT]


def _newest(report: FleetReport) -> list[Exposure]:
    return sorted(report.public, key=lambda e: (-e.first_time, e.repository, e.file, e.line))[:LIST_LIMIT]


def _headline(report: FleetReport) -> list[str]:
    run = report.run
    if run is None:
        return ["No fleet scan is recorded in this history yet."]
    statuses = [r.status for r in report.repositories]
    lines = [
        f"Run {run['id']} ({run['status']}) started {_stamp(run['started'])} on {run['engine']}, rules {run['rules_version']}: "
        f"{len(statuses)} repositories, {statuses.count('scanned')} scanned, {statuses.count('unchanged')} unchanged, {len(report.unscannable)} not (fully) scanned.",
        f"Public now: {len(report.public)} exposure{'s' if len(report.public) != 1 else ''} in {len({e.repository for e in report.public})} repositories"
        f" ({len(report.suppressed)} suppressed, not counted); {len(report.appeared)} appeared and {len(report.fixed)} were fixed in this run.",
    ]
    return lines


# Markdown


def _cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_where(e: Exposure) -> str:
    text = f"`{_cell(e.file)}:{e.line}`"
    return f"[{text}]({e.link})" if e.link else text


def _md_table(exposures: list[Exposure], fixed: bool = False) -> list[str]:
    if fixed:
        head = "| Repository | Where | Rule | Severity | Resource | Fixed |"
        rows = [f"| {_cell(e.repository)} | {_md_where(e)} | `{e.rule_id}` | {e.verdict} · {e.severity} | `{_cell(e.resource)}` | {_date(e.fixed_time)} ({e.fixed_commit[:12]}) |" for e in exposures]
    else:
        head = "| Repository | Where | Rule | Severity | Resource | Since | Age |"
        rows = [f"| {_cell(e.repository)} | {_md_where(e)} | `{e.rule_id}` | {e.verdict} · {e.severity} | `{_cell(e.resource)}` | {e.since} | {e.age} |" for e in exposures]
    return [head, "|" + " --- |" * head.count(" | ") + " --- |", *rows] if rows else ["None."]


def markdown(report: FleetReport) -> str:
    out = ["# seawall fleet report", "", *_headline(report), ""]
    out += ["## Public now", "", "| Verdict | " + " | ".join(SEVERITY_ORDER) + " |", "| --- |" + " ---: |" * len(SEVERITY_ORDER)]
    for verdict in VERDICT_ORDER:
        counts = [sum(1 for e in report.public if e.verdict == verdict and e.severity == s) for s in SEVERITY_ORDER]
        out.append(f"| {verdict} ({VERDICT_MEANING[verdict]}) | " + " | ".join(str(c) for c in counts) + " |")
    out += ["", "## Changes in the last run", "", f"### Appeared ({len(report.appeared)})", "", *_md_table(report.appeared), ""]
    out += [f"### Fixed ({len(report.fixed)})", "", *_md_table(report.fixed, fixed=True), ""]
    out += ["## Exposures by verdict and severity", ""]
    for verdict, severity, group in report.grouped():
        out += [f"### {verdict} · {severity} ({len(group)})", "", *_md_table(group), ""]
    if not report.public:
        out += ["Nothing is public.", ""]
    out += [f"## Oldest {LIST_LIMIT}", "", *_md_table(_oldest(report)), "", f"## Newest {LIST_LIMIT}", "", *_md_table(_newest(report)), ""]
    out += ["## By repository", "", "| Repository | Commit | Status | " + " | ".join(VERDICT_ORDER) + " |", "| --- | --- | --- |" + " ---: |" * len(VERDICT_ORDER)]
    for r in report.repositories:
        out.append(f"| {_cell(r.name)} | {r.commit[:12]} | {r.status} | " + " | ".join(str(r.counts.get(v, 0)) for v in VERDICT_ORDER) + " |")
    out += ["", f"## Could not be scanned ({len(report.unscannable)})", ""]
    if report.unscannable:
        out += ["| Repository | Why |", "| --- | --- |"]
        for r in report.unscannable:
            why = r.problem if r.status == "error" else "input errors: " + "; ".join(r.errors[:5]) + (f" (and {len(r.errors) - 5} more)" if len(r.errors) > 5 else "")
            out.append(f"| {_cell(r.name)} | {_cell(why)} |")
    else:
        out.append("Every repository was scanned.")
    return "\n".join(out) + "\n"


# HTML

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:80rem;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right}code{font-size:90%}
.critical{color:#a40e26;font-weight:600}.high{color:#bc4c00;font-weight:600}.medium{color:#7d4e00}.low{color:#57606a}
"""


def _h(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_where(e: Exposure) -> str:
    text = f"<code>{_h(e.file)}:{e.line}</code>"
    return f'<a href="{_h(e.link)}">{text}</a>' if e.link else text


def _html_table(exposures: list[Exposure], fixed: bool = False) -> str:
    if not exposures:
        return "<p>None.</p>"
    last = "<th>Fixed</th>" if fixed else "<th>Since</th><th>Age</th>"
    rows = []
    for e in exposures:
        tail = f"<td>{_date(e.fixed_time)} ({_h(e.fixed_commit[:12])})</td>" if fixed else f"<td>{_h(e.since)}</td><td>{_h(e.age)}</td>"
        rows.append(
            f'<tr class="exposure"><td>{_h(e.repository)}</td><td>{_html_where(e)}</td><td><code>{_h(e.rule_id)}</code><br>{_h(e.message)}</td>'
            f'<td class="{_h(e.severity)}">{_h(e.verdict)} · {_h(e.severity)}</td><td><code>{_h(e.resource)}</code></td>{tail}</tr>'
        )
    return f"<table><tr><th>Repository</th><th>Where</th><th>Rule</th><th>Severity</th><th>Resource</th>{last}</tr>{''.join(rows)}</table>"


def html_page(report: FleetReport) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', "<title>seawall fleet report</title>", f"<style>{_STYLE}</style></head><body>"]
    parts.append("<h1>seawall fleet report</h1>" + "".join(f"<p>{_h(line)}</p>" for line in _headline(report)))
    parts.append('<h2 id="public">Public now</h2><table><tr><th>Verdict</th>' + "".join(f"<th>{s}</th>" for s in SEVERITY_ORDER) + "</tr>")
    for verdict in VERDICT_ORDER:
        counts = [sum(1 for e in report.public if e.verdict == verdict and e.severity == s) for s in SEVERITY_ORDER]
        parts.append(f"<tr><td>{verdict} ({_h(VERDICT_MEANING[verdict])})</td>" + "".join(f'<td class="n">{c}</td>' for c in counts) + "</tr>")
    parts.append("</table>")
    parts.append(f'<h2 id="changes">Changes in the last run</h2><h3>Appeared ({len(report.appeared)})</h3>{_html_table(report.appeared)}')
    parts.append(f"<h3>Fixed ({len(report.fixed)})</h3>{_html_table(report.fixed, fixed=True)}")
    parts.append('<h2 id="groups">Exposures by verdict and severity</h2>')
    for verdict, severity, group in report.grouped():
        parts.append(f"<h3>{verdict} · {severity} ({len(group)})</h3>{_html_table(group)}")
    if not report.public:
        parts.append("<p>Nothing is public.</p>")
    parts.append(f'<h2 id="oldest">Oldest {LIST_LIMIT}</h2>{_html_table(_oldest(report))}<h2 id="newest">Newest {LIST_LIMIT}</h2>{_html_table(_newest(report))}')
    parts.append('<h2 id="repositories">By repository</h2><table><tr><th>Repository</th><th>Commit</th><th>Status</th>' + "".join(f"<th>{v}</th>" for v in VERDICT_ORDER) + "</tr>")
    for r in report.repositories:
        parts.append(f"<tr><td>{_h(r.name)}</td><td><code>{_h(r.commit[:12])}</code></td><td>{_h(r.status)}</td>" + "".join(f'<td class="n">{r.counts.get(v, 0)}</td>' for v in VERDICT_ORDER) + "</tr>")
    parts.append(f'</table><h2 id="unscanned">Could not be scanned ({len(report.unscannable)})</h2>')
    if report.unscannable:
        parts.append("<table><tr><th>Repository</th><th>Why</th></tr>")
        for r in report.unscannable:
            why = r.problem if r.status == "error" else "input errors: " + "; ".join(r.errors)
            parts.append(f'<tr class="unscanned"><td>{_h(r.name)}</td><td>{_h(why)}</td></tr>')
        parts.append("</table>")
    else:
        parts.append("<p>Every repository was scanned.</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
