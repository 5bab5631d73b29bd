"""``seawall fleet scan`` and ``seawall fleet report`` (added to the CLI by linter/cli.py).

Exit codes of ``fleet scan``, for a scheduler that alerts on new public data only:
1 when the run found new findings with the verdict ``exposed`` (not suppressed), else 2
when a repository could not be scanned (or had input errors), else 0. A run that cannot
start (SOURCES unreadable, the history not a seawall database, no cluster) is a usage
error, 2.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from linter.fleet.unit import UnitResult

EXIT_CLEAN, EXIT_NEW_EXPOSED, EXIT_ERROR = 0, 1, 2
DEFAULT_HISTORY = "seawall-fleet.db"


@click.group()
def fleet() -> None:
    """Scan every repository of an organisation and remember what is public since when."""


def _open_history(where: str, must_exist: bool = False) -> Any:
    """The history at ``where``: a SQLite file path or a ``postgresql://`` URL."""
    from linter.fleet.history import History, HistoryError, is_url

    if not is_url(where):
        import os

        if must_exist and not os.path.isfile(where):
            raise click.BadParameter(f"no history file {where!r} (give the path or URL `fleet scan --history` wrote)", param_hint="'--history'")
        if os.path.isdir(where):
            raise click.BadParameter(f"{where!r} is a folder, not a history file", param_hint="'--history'")
    try:
        return History(where)
    except HistoryError as exc:
        raise click.UsageError(str(exc)) from None


HISTORY_HELP = "The history: a SQLite file (created when missing) or a PostgreSQL URL postgresql://USER@HOST/DATABASE (needs seawall[postgres])."


@fleet.command("scan")
@click.argument("sources", type=click.Path(exists=True))
@click.option("--history", "history_path", metavar="PATH|URL", default=DEFAULT_HISTORY, show_default=True, help=HISTORY_HELP)
@click.option("--workers", type=click.IntRange(min=0), default=0, help="Local worker processes (default: one per CPU).")
@click.option("--cluster", metavar="ADDRESS", help="Run the units on the Dask scheduler at ADDRESS (tcp://host:8786); needs seawall[fleet].")
@click.option("--allow-network", is_flag=True, help="Clone (or fetch) the git URLs listed in SOURCES; without it they are reported as not scanned.")
@click.option("--history-depth", type=click.IntRange(min=0), default=30, show_default=True, help="Older commits scanned at most per repository to date each exposure's start.")
@click.option("--rescan", is_flag=True, help="Scan every repository even when its commit, configuration and rules are unchanged.")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(exists=True, file_okay=False), help="A folder of extra rules for the whole fleet; repeatable.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
def fleet_scan(sources: str, history_path: str, workers: int, cluster: str | None, allow_network: bool, history_depth: int, rescan: bool, rule_dirs: tuple[str, ...], quiet: bool) -> None:
    """Scan each repository listed in SOURCES (a list file: one 'LOCATION [REF] [name=NAME]
    [link=TEMPLATE]' a line; or a folder of checkouts) and record the results in the history."""
    import os

    from linter.fleet.engines import DaskEngine, EngineError, LocalEngine
    from linter.fleet.scan import scan_fleet
    from linter.fleet.sources import Source, SourcesError

    history = _open_history(history_path)
    where = history.where if history.dialect.name != "sqlite" else os.path.abspath(history_path)
    engine: Any
    try:
        engine = DaskEngine(cluster) if cluster else LocalEngine(workers)
    except EngineError as exc:
        raise click.UsageError(str(exc)) from None

    def progress(source: Source, result: UnitResult) -> None:
        if quiet:
            return
        if result.status == "error":
            line = f"error: {result.problem}"
        elif result.status == "unchanged":
            line = f"unchanged at {result.commit[:12]}"
        else:
            line = f"scanned {result.commit[:12]}: {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}"
            if result.errors:
                line += f", {len(result.errors)} input error{'s' if len(result.errors) != 1 else ''} ({result.errors[0]})"
        click.echo(f"{source.name}: {line}")

    try:
        run = scan_fleet(sources, history, engine, allow_network, history_depth, rescan, rule_dirs, progress)
    except SourcesError as exc:
        raise click.UsageError(str(exc)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: every repository finished so far is recorded; the next run goes on from there", err=True)
        sys.exit(130)
    finally:
        if isinstance(engine, DaskEngine):
            engine.close()
        history.close()
    statuses = [r.status for r in run.results.values()]
    click.echo(
        f"Run {run.run} on {run.engine}: {len(statuses)} repositories, {statuses.count('scanned')} scanned, {statuses.count('unchanged')} unchanged, "
        f"{len(run.failed)} not (fully) scanned; {sum(len(v) for v in run.appeared.values())} findings appeared, {sum(len(v) for v in run.fixed.values())} fixed "
        f"({run.seconds:.1f} s). History: {where}"
    )
    for name, f in run.new_exposed:
        click.echo(f"new exposed: {name}: {f.file}:{f.line}: {f.rule_id} ({f.severity}) {f.message}")
    for name in run.failed:
        r = run.results[name]
        click.echo(f"not scanned: {name}: {r.problem or '; '.join(r.errors)}", err=True)
    sys.exit(EXIT_NEW_EXPOSED if run.new_exposed else EXIT_ERROR if run.failed else EXIT_CLEAN)


@fleet.command("report")
@click.option("--history", "history_path", metavar="PATH|URL", default=DEFAULT_HISTORY, show_default=True, help="The history `fleet scan` wrote: a SQLite file or a PostgreSQL URL.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False, writable=True), help="Also write the Markdown report to this file.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, writable=True), help="Write the report as one self-contained HTML page to this file.")
def fleet_report(history_path: str, markdown_path: str | None, html_path: str | None) -> None:
    """Print what is public now across the fleet, since when, and what changed in the last run."""
    from linter.fleet.report import build, html_page, markdown

    history = _open_history(history_path, must_exist=True)
    try:
        report = build(history)
    finally:
        history.close()
    text = markdown(report)
    for path, content in ((markdown_path, text), (html_path, html_page(report) if html_path else "")):
        if path:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(content)
    click.echo(text, nl=False)
