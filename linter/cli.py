"""The ``seawall`` command. Click only turns flags into a RunConfig; the engine does the rest.

Exit codes: 0 no finding at or above ``--fail-on``; 1 findings; 2 a usage error, or an
input that could not be read or parsed (reported with its file and line; every other
file is still scanned).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from linter.model import Severity

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def example_dir() -> str:
    """The bundled example project: ``linter/examples`` in a wheel, ``examples/`` in a checkout."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "examples"), os.path.join(os.path.dirname(here), "examples")):
        if os.path.isfile(os.path.join(candidate, "main.tf")):
            return os.path.relpath(candidate) if not os.path.relpath(candidate).startswith("..") else candidate
    raise click.UsageError("the bundled example project is missing from this installation")


def _ids(values: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


class _SeverityType(click.ParamType):
    name = "severity"

    def convert(self, value: Any, param: Any, ctx: Any) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return Severity.parse(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seawall", prog_name="seawall")
def main() -> None:
    """seawall: find infrastructure settings that make data public, before deployment."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE instead of standard output.")
@click.option("--select", multiple=True, metavar="ID", help="Run only these rules (repeat, or separate with commas).")
@click.option("--ignore", multiple=True, metavar="ID", help="Do not run these rules (repeat, or separate with commas).")
@click.option("--fail-on", type=_SeverityType(), default="low", show_default=True, help="Lowest severity that makes the exit code 1.")
@click.option("--var-file", "var_files", multiple=True, type=click.Path(dir_okay=False), help="Terraform variables file (like terraform -var-file); repeatable.")
@click.option("--plan-source", type=click.Path(file_okay=False), help="Directory of the Terraform source of the plan JSON files scanned (default: the plan's own directory).")
@click.option("--cfn-params", type=click.Path(dir_okay=False, exists=True), help="CloudFormation parameter values (JSON: {\"Name\": \"value\"} or the CLI's ParameterKey/ParameterValue list).")
@click.option("--stdin-filename", default="stdin.yaml", show_default=True, help="Name to give the text read from standard input when a PATH is '-'.")
@click.option("--example", is_flag=True, help="Scan the example project bundled with seawall (shows real findings).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def scan(paths: tuple[str, ...], fmt: str, output: str | None, select: tuple[str, ...], ignore: tuple[str, ...], fail_on: Severity, var_files: tuple[str, ...], plan_source: str | None, cfn_params: str | None, stdin_filename: str, example: bool, debug: bool) -> None:
    """Scan Terraform, CloudFormation and Kubernetes in PATHS (files or directories; default:
    the current directory; '-' reads manifests or a template from standard input)."""
    from linter.config import RunConfig
    from linter.engine import run
    from linter.outputs import renderer
    from linter.ruleset import RuleError, load_rules

    try:
        rules = load_rules()
    except RuleError as exc:
        raise click.UsageError(str(exc)) from None
    selected, ignored = _ids(select), _ids(ignore)
    unknown = [i for i in selected + ignored if rules.get(i) is None]
    if unknown:
        raise click.BadParameter(f"unknown rule id: {', '.join(unknown)} (see `seawall rules`)", param_hint="--select/--ignore")
    if example:
        paths = paths + (example_dir(),)
    overrides: dict[str, str] = {}
    if "-" in paths:
        # rendered manifests on standard input: `helm template chart | seawall scan -`
        from linter.sources import SourceError, decode_source

        try:
            overrides[stdin_filename] = decode_source(sys.stdin.buffer.read())
        except SourceError as exc:
            raise click.UsageError(f"standard input: {exc.message}") from None
        paths = tuple(stdin_filename if p == "-" else p for p in paths)
    config = RunConfig(
        paths=list(paths) or ["."],
        select=selected,
        ignore=ignored,
        fail_on=fail_on,
        var_files=list(var_files),
        plan_source=plan_source,
        cfn_params=cfn_params,
        overrides=overrides,
    )
    result = run(config, rules, debug=debug)
    report = renderer(fmt)(result, rules)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(report)
        except OSError as exc:
            raise click.FileError(output, exc.strerror) from None
    else:
        sys.stdout.write(report)
    if result.errors:
        sys.exit(EXIT_ERROR)
    if any(f.active and f.severity >= fail_on for f in result.findings):
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)


@main.group(invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--provider", help="Only rules for this provider (aws, google, azure, kubernetes).")
@click.pass_context
def rules(ctx: click.Context, fmt: str, provider: str | None) -> None:
    """List the rules: id, severity, formats and title."""
    if ctx.invoked_subcommand is not None:
        return
    import json

    from linter.docs import FORMAT_NAMES, rules_table
    from linter.ruleset import RuleSet, load_rules

    chosen = [r for r in load_rules() if provider is None or r.provider == provider]
    if fmt == "json":
        doc = [
            {"id": r.id, "severity": str(r.severity), "provider": r.provider, "formats": list(r.formats), "title": r.title}
            for r in chosen
        ]
        click.echo(json.dumps(doc, indent=2))
    elif fmt == "markdown":
        click.echo(rules_table(RuleSet(chosen)))
    else:
        width = max((len(r.id) for r in chosen), default=10)
        for r in chosen:
            formats = ", ".join(FORMAT_NAMES[f] for f in r.formats)
            click.echo(f"{r.id:<{width}}  {str(r.severity):<8}  {formats:<38}  {r.title}")
        click.echo(f"{len(chosen)} rules")


@rules.command("show")
@click.argument("rule_id")
def rules_show(rule_id: str) -> None:
    """Print one rule's documentation: what it finds, why it matters, how to fix it."""
    from linter.docs import FORMAT_NAMES
    from linter.ruleset import load_rules

    rule = load_rules().get(rule_id)
    if rule is None:
        raise click.BadParameter(f"unknown rule id: {rule_id} (see `seawall rules`)", param_hint="RULE_ID")
    click.echo(f"{rule.id}: {rule.title}")
    click.echo(f"severity: {rule.severity}" + (f"    provider: {rule.provider}" if rule.provider else ""))
    for fmt, clause in rule.clauses.items():
        click.echo(f"{FORMAT_NAMES[fmt]}: {', '.join(clause.types)}")
    if rule.aliases:
        click.echo(f"aliases: {', '.join(rule.aliases)}")
    click.echo("\nWhat it finds and why it matters\n")
    click.echo(rule.description)
    click.echo("\nHow to fix it\n")
    click.echo(rule.remediation)
    click.echo("\nReferences\n")
    for ref in rule.references:
        click.echo(f"- {ref}")


if __name__ == "__main__":  # pragma: no cover
    main()
