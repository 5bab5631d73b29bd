"""The ``seawall`` command. Click only turns flags into a RunConfig; the engine does the rest.

Exit codes: 0 no finding at or above ``--fail-on`` that fails the run (posture findings
fail it only with ``--strict``, see linter/verdicts.py); 1 findings; 2 a usage error, or an
input that could not be read or parsed (reported with its file and line; every other
file is still scanned).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from linter.model import Severity
from linter.outputs import FORMATS
from linter.terminal import COLOR_CHOICES

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

    def get_metavar(self, param: Any, ctx: Any = None) -> str:
        return "[" + "|".join(str(s) for s in sorted(Severity, reverse=True)) + "]"  # the choices, as click.Choice shows them

    def convert(self, value: Any, param: Any, ctx: Any) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return Severity.parse(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class _LazyGroup(click.Group):
    """A group whose heavier command families are imported when named (click's documented
    lazy-loading pattern): ``seawall scan`` does not import the fleet's code."""

    lazy = {"fleet": "linter.fleet.commands:fleet"}  # `seawall fleet scan|report` (linter/fleet/commands.py)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            import importlib

            module, _, name = self.lazy[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), name)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seawall", prog_name="seawall")
def main() -> None:
    """seawall: find infrastructure settings that make data public, before deployment."""


def _scan_options(fn: Any) -> Any:
    """The options shared by ``scan`` and ``baseline``: what to scan and how."""
    options = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True), help="Configuration file (default: the nearest .seawall.toml or pyproject.toml [tool.seawall] above the first path)."),
        click.option("--no-config", is_flag=True, help="Ignore configuration files."),
        click.option("--exclude", "exclude", multiple=True, metavar="GLOB", help="Do not scan files or directories matching GLOB (e.g. 'vendor/**'), added to the configuration's `exclude`; repeatable."),
        click.option("--select", multiple=True, metavar="ID", help="Run only these rules (repeat, or separate with commas)."),
        click.option("--ignore", multiple=True, metavar="ID", help="Do not run these rules (repeat, or separate with commas)."),
        click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False, exists=True), help="A directory of your own YAML rules; repeatable."),
        click.option("--contracts", "contract_dirs", multiple=True, type=click.Path(file_okay=False, exists=True), help="A directory of module contracts for your own Terraform modules; repeatable."),
        click.option("--var-file", "var_files", multiple=True, type=click.Path(dir_okay=False), help="Terraform variables file (like terraform -var-file); repeatable."),
        click.option("--plan-source", type=click.Path(file_okay=False), help="Directory of the Terraform source of the plan JSON files scanned (default: the plan's own directory)."),
        click.option("--cfn-params", type=click.Path(dir_okay=False, exists=True), help='CloudFormation parameter values (JSON: {"Name": "value"} or the CLI\'s ParameterKey/ParameterValue list).'),
        click.option("--helm-values", multiple=True, type=click.Path(dir_okay=False, exists=True), help="Values file for the Helm charts scanned (like helm -f); repeatable."),
        click.option("--helm-set", multiple=True, metavar="KEY=VALUE", help="A value for the Helm charts scanned (like helm --set); repeatable."),
        click.option("--stdin-filename", default="stdin.yaml", show_default=True, help="Name to give the text read from standard input when a PATH is '-'."),
        click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True, help="Processes for parsing large scans (0: one per core; 1: none)."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the cache of units' results (in $SEAWALL_CACHE_DIR or ~/.cache/seawall)."),
        click.option("--example", is_flag=True, help="Scan the example project bundled with seawall (shows real findings)."),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _build(ctx: click.Context, params: dict[str, Any]) -> tuple[Any, Any]:
    """Configuration file first, then the flags given on the command line; and the rules."""
    from linter.cache import Cache, use
    from linter.config import ConfigError, RunConfig, apply_config_file, check_rule_ids, find_config
    from linter.ruleset import RuleError, load_rules
    from linter.suppress import META_RULE

    use(Cache(enabled=not params["no_cache"]))
    paths: tuple[str, ...] = params["paths"]
    if params["example"]:
        paths = paths + (example_dir(),)
    config = RunConfig()
    try:
        if params["config_file"]:
            apply_config_file(config, params["config_file"])
        elif not params["no_config"]:
            found = find_config(next((p for p in paths if p != "-"), "."))
            if found:
                apply_config_file(config, found)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None

    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) not in (click.core.ParameterSource.DEFAULT, None)

    if given("select"):
        config.select = _ids(params["select"])
    if given("ignore"):
        config.ignore = _ids(params["ignore"])
    if params.get("fail_on") is not None and given("fail_on"):
        config.fail_on = params["fail_on"]
    if params["exclude"]:
        config.exclude = config.exclude + list(params["exclude"])
    if params["var_files"]:
        config.var_files = config.var_files + list(params["var_files"])
    if params["rule_dirs"]:
        config.rule_dirs = config.rule_dirs + list(params["rule_dirs"])
    if params.get("contract_dirs"):
        config.contract_dirs = config.contract_dirs + list(params["contract_dirs"])
    if params["plan_source"]:
        config.plan_source = params["plan_source"]
    if params["cfn_params"]:
        config.cfn_params = params["cfn_params"]
    config.helm_values = list(params["helm_values"])
    config.helm_set = list(params["helm_set"])
    if params.get("baseline"):
        config.baseline = params["baseline"]
    if params.get("strict"):
        config.strict = True
    try:
        rules = load_rules(config.rule_dirs)
    except RuleError as exc:
        raise click.UsageError(str(exc)) from None
    known = set(rules.by_id) | {META_RULE}
    unknown = [i for i in _ids(params["select"]) + _ids(params["ignore"]) if i not in known]
    if unknown:
        raise click.BadParameter(f"unknown rule id: {', '.join(unknown)} (see `seawall rules`)", param_hint="--select/--ignore")
    try:
        check_rule_ids(config, known)
    except ConfigError as exc:
        raise click.UsageError(f"{exc} (see `seawall rules`)") from None
    if "-" in paths:
        # rendered manifests on standard input: `helm template chart | seawall scan -`
        from linter.sources import SourceError, decode_source

        name = params["stdin_filename"]
        try:
            config.overrides[name] = decode_source(sys.stdin.buffer.read())
        except SourceError as exc:
            raise click.UsageError(f"standard input: {exc.message}") from None
        paths = tuple(name if p == "-" else p for p in paths)
    config.paths = list(paths) or ["."]
    config.cache = not params["no_cache"]
    config.workers = params["workers"]
    return config, rules


_strict_option = click.option("--strict", is_flag=True, help="Posture findings (one step away from public) fail the run too, like exposures (configuration: strict = true).")
_FORMAT_NAMES = list(FORMATS)  # one list: the reporters registered in linter/outputs


def _output_files(values: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or fmt not in _FORMAT_NAMES or not path:
            raise click.BadParameter(f"{value!r}: expected FORMAT=PATH with FORMAT one of {', '.join(_FORMAT_NAMES)}", param_hint="--output-file")
        out.append((fmt, path))
    return out


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise click.FileError(path, exc.strerror) from None


@main.command()
@_scan_options
@click.option("--format", "fmt", type=click.Choice(_FORMAT_NAMES), default="text", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE instead of standard output.")
@click.option("--output-file", "output_files", multiple=True, metavar="FORMAT=PATH", help="Also write a report in FORMAT to PATH; repeatable (one scan feeds code scanning and the log).")
@click.option("--fail-on", type=_SeverityType(), default="low", show_default=True, help="Lowest severity that makes the exit code 1 (critical > high > medium > low).")
@click.option("--baseline", type=click.Path(dir_okay=False, exists=True), help="Report and fail only on findings that are not in this baseline file.")
@_strict_option
@click.option("--new-only", "new_only_ref", metavar="BASE_REF", help="Report and fail only on findings not present at this git revision (e.g. origin/main).")
@click.option("--quiet", "-q", is_flag=True, help="Text format: print the findings (and input errors) only; no summary, notes or progress.")
@click.option("--color", "color", type=click.Choice(COLOR_CHOICES), default="auto", show_default=True, help="Colour in the text format (auto: on a terminal without NO_COLOR).")
@click.pass_context
def scan(ctx: click.Context, fmt: str, output: str | None, output_files: tuple[str, ...], new_only_ref: str | None, quiet: bool, color: str, **params: Any) -> None:
    """Scan Terraform, CloudFormation and Kubernetes in PATHS (files or directories; default:
    the current directory; '-' reads manifests or a template from standard input)."""
    import gc

    gc.disable()  # a one-shot process: the scan's objects live until exit (see engine.run)
    from linter.baseline import BaselineError
    from linter.engine import run
    from linter.outputs import renderer
    from linter.terminal import color_wanted, progress_wanted
    from linter.verdicts import fails

    extra = _output_files(output_files)
    config, rules = _build(ctx, params)
    # what exists now (modules, the rules) lives to the end: the collections after each unit
    # (parallel.collect_unit) and a forked worker's copy-on-write pages leave it alone
    gc.freeze()
    if progress_wanted(fmt, quiet, sys.stderr):
        from linter.progress import TerminalProgress, use

        use(TerminalProgress(sys.stderr))
    try:
        # the Markdown report draws how critical findings are reached: it needs the graph
        keep_graph = "markdown" in {fmt, *(f for f, _ in extra)}
        result = run(config, rules, debug=params["debug"], keep_graph=keep_graph)
        if new_only_ref:
            from linter.newonly import NewOnlyError, new_only

            try:
                result = new_only(config, rules, new_only_ref, result)
            except NewOnlyError as exc:
                raise click.UsageError(str(exc)) from None
    except BaselineError as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "text":
        from linter.outputs.text import render

        report = render(result, rules, color=color_wanted(color, sys.stdout) and not output, quiet=quiet)
    else:
        report = renderer(fmt)(result, rules)
    for extra_fmt, path in extra:
        _write(path, renderer(extra_fmt)(result, rules))
    if output:
        _write(output, report)
    else:
        sys.stdout.write(report)
    if result.errors:
        code = EXIT_ERROR
    elif any(fails(f, config.fail_on, config.strict) for f in result.findings):
        code = EXIT_FINDINGS
    else:
        code = EXIT_CLEAN
    _exit_now(code)


def _exit_now(code: int) -> None:
    """Exit without tearing down the scan's millions of objects one by one (a large scan
    spent a fifth of its time there): everything it wrote is flushed first."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.environ.get("SEAWALL_NO_FAST_EXIT"):  # coverage tools need a normal exit
        sys.exit(code)
    os._exit(code)


@main.command()
@_scan_options
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=".seawall-baseline.json", show_default=True, help="The baseline file to write.")
@click.pass_context
def baseline(ctx: click.Context, output: str, **params: Any) -> None:
    """Record today's findings in PATHS as accepted, so that `scan --baseline` fails only on new ones."""
    from linter.baseline import write_baseline
    from linter.engine import run

    config, rules = _build(ctx, params)
    config.baseline = None
    result = run(config, rules, debug=params["debug"])
    count = write_baseline([f for f in result.findings if f.active], output)
    click.echo(f"{output}: {count} finding{'s' if count != 1 else ''} recorded")
    for e in result.errors:
        click.echo(f"{e.file}:{e.line}:{e.column}: ERROR {e.message}", err=True)
    sys.exit(EXIT_ERROR if result.errors else EXIT_CLEAN)


@main.command("fix")
@_scan_options
@click.option("--dry-run", is_flag=True, help="List the fixes that would be made; change no file.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes as a unified diff; change no file.")
@_strict_option
@click.pass_context
def fix_command(ctx: click.Context, dry_run: bool, show_diff: bool, **params: Any) -> None:
    """Apply the safe fixes of the findings in PATHS (the fixes the editor offers and SARIF
    carries). A value set through a variable is fixed where it is set, or not at all. Exit
    0 when no finding at or above fail-on remains, 1 when some do, 2 on input errors."""
    import difflib

    from linter.fixes import encode_like, fix_all
    from linter.verdicts import fails

    if dry_run and show_diff:
        raise click.UsageError("--dry-run and --diff are alternatives: give one")
    if params["example"] or "-" in params["paths"]:
        raise click.UsageError("seawall fix rewrites files: it takes neither --example nor standard input")
    config, rules = _build(ctx, params)
    outcome = fix_all(config, rules)
    verb = "would fix" if dry_run or show_diff else "fixed"
    log = sys.stderr if show_diff else sys.stdout
    for f, fix in outcome.fixed:
        where = f" ({fix.span.file}:{fix.span.line})" if os.path.normpath(fix.span.file) != os.path.normpath(f.span.file) else ""
        click.echo(f"{f.span.file}:{f.span.line}: {f.rule_id}: {verb}: {fix.title}{where}", file=log)
    for f, why in outcome.unfixed:
        click.echo(f"{f.span.file}:{f.span.line}: {f.rule_id}: not fixed: {why}", file=log)
    for file, why in outcome.skipped:
        click.echo(f"{file}: not fixed: {why}", file=log)
    for file, text in sorted(outcome.texts.items()):
        with open(file, "rb") as fh:
            original = fh.read()
        if encode_like(original, text) == original:
            continue
        if show_diff:
            before = original.decode("utf-8-sig").replace("\r\n", "\n").splitlines(keepends=True)
            names = (file, file) if os.path.isabs(file) else (f"a/{file}", f"b/{file}")
            sys.stdout.writelines(difflib.unified_diff(before, text.splitlines(keepends=True), *names))
        elif not dry_run:
            with open(file, "wb") as fh:
                fh.write(encode_like(original, text))
    for e in outcome.result.errors:
        click.echo(f"{e.file}:{e.line}:{e.column}: ERROR {e.message}", err=True)
    left = [f for f in outcome.result.findings if f.active]
    files = len({fix.span.file for _, fix in outcome.fixed})
    n = len(outcome.fixed)
    click.echo(
        f"{verb} {n} finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}; "
        f"{len(left)} finding{'s' if len(left) != 1 else ''} {'would ' if dry_run or show_diff else ''}remain (see seawall scan)",
        file=log,
    )
    if outcome.result.errors:
        code = EXIT_ERROR
    elif any(fails(f, config.fail_on, config.strict) for f in left):
        code = EXIT_FINDINGS
    else:
        code = EXIT_CLEAN
    sys.exit(code)


@main.command("migrate")
@click.argument("path", required=False, default=".", type=click.Path())
@click.option("--dry-run", is_flag=True, help="Show the changes as a unified diff and change no file (the default).")
@click.option("--write", is_flag=True, help="Apply the changes.")
def migrate_command(path: str, dry_run: bool, write: bool) -> None:
    """Turn Checkov, tfsec, Trivy, cfn_nag and kube-linter suppressions in the repository at
    PATH into seawall suppressions and configuration, keeping their reasons. Check ids with
    no seawall counterpart are listed. Shows the diff unless --write is given."""
    from linter.migrate import MigrateError, plan

    if dry_run and write:
        raise click.UsageError("--dry-run and --write exclude each other")
    try:
        migration = plan(path)
    except MigrateError as exc:
        click.echo(f"seawall migrate: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(migration.report(), nl=False)
    if not migration.changes:
        click.echo("nothing to change")
    elif write:
        for rel in migration.write():
            click.echo(f"wrote {rel}")
    else:
        click.echo(migration.diff(), nl=False)
        click.echo(f"dry run: {len(migration.changes)} file(s) would change; run `seawall migrate --write` to apply")
    sys.exit(EXIT_ERROR if migration.errors else EXIT_CLEAN)


@main.command("graph")
@_scan_options
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True, help="Mermaid (GitHub renders it in Markdown) or Graphviz DOT (dot -Tsvg).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the diagram to FILE instead of standard output.")
@click.pass_context
def graph_command(ctx: click.Context, fmt: str, output: str | None, **params: Any) -> None:
    """Draw how each finding in PATHS is reached from the internet: the resources behind it,
    how they connect, and where each is written (file:line). Exit 0, or 2 on input errors."""
    import gc

    gc.disable()
    from linter.diagrams import RENDERERS
    from linter.engine import run
    from linter.exposure import exposure_graph
    from linter.suppress import META_RULE

    config, rules = _build(ctx, params)
    result = run(config, rules, debug=params["debug"], keep_graph=True)
    findings = [f for f in result.findings if f.active and f.rule_id != META_RULE]
    text = RENDERERS[fmt](exposure_graph(result.graph, findings), str)
    if output:
        _write(output, text)
    else:
        sys.stdout.write(text)
    if not findings:
        click.echo("no exposure found: nothing to draw", err=True)
    for e in result.errors:
        click.echo(f"{e.file}:{e.line}:{e.column}: ERROR {e.message}", err=True)
    _exit_now(EXIT_ERROR if result.errors else EXIT_CLEAN)


@main.command()
def lsp() -> None:
    """Run the language server (LSP over standard input and output) for editors."""
    from linter.lsp import main as serve

    serve()


def provider_names(rules: Any) -> dict[str, str]:
    """What ``--provider`` accepts -> the provider it means: each provider's name and the
    prefix of its rule ids (``gcp-…`` rules are Google's, ``k8s-…`` Kubernetes')."""
    names: dict[str, str] = {}
    for r in rules:
        if r.provider:
            names[r.provider] = r.provider
            names.setdefault(r.id.split("-", 1)[0], r.provider)
    return names


@main.group(invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--provider", metavar="PROVIDER", help="Only rules for this provider: its name or the prefix of its rule ids (aws, azure, google or gcp, kubernetes or k8s, alicloud, oci, digitalocean, openstack, github, tencentcloud, yandex, ncloud, ibm, mongodbatlas, snowflake, gitlab, azuredevops, linode, hcloud).")
@click.pass_context
def rules(ctx: click.Context, fmt: str, provider: str | None) -> None:
    """List the rules: id, severity, formats and title."""
    if ctx.invoked_subcommand is not None:
        return
    import json

    from linter.docs import FORMAT_NAMES, rules_table
    from linter.ruleset import RuleSet, load_rules

    every = load_rules()
    if provider is not None:
        names = provider_names(every)
        wanted = names.get(provider.strip().lower())
        if wanted is None:
            choices = ", ".join(sorted(names))
            raise click.BadParameter(f"{provider!r} is not a provider (choose from: {choices})", param_hint="'--provider'")
    chosen = [r for r in every if provider is None or r.provider == wanted]
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
    from linter.suppress import META_RULE, meta_rule

    rule = load_rules().get(rule_id) or (meta_rule() if rule_id == META_RULE else None)
    if rule is None:
        raise click.BadParameter(f"unknown rule id: {rule_id} (see `seawall rules`)", param_hint="RULE_ID")
    click.echo(f"{rule.id}: {rule.title}")
    if rule.id == META_RULE:
        click.echo("severity: medium or low, by problem (below)")
        click.echo("checks: seawall's own suppressions, in every format (built in)")
    else:
        click.echo(f"severity: {rule.severity}" + (f"    provider: {rule.provider}" if rule.provider else ""))
    for fmt in rule.formats:
        types = dict.fromkeys(t for c in rule.clauses if c.format == fmt for t in c.types)
        click.echo(f"{FORMAT_NAMES[fmt]}: {', '.join(types)}")
    if rule.aliases:
        click.echo(f"aliases: {', '.join(rule.aliases)}")
    click.echo("\nWhat it finds and why it matters\n")
    click.echo(rule.description)
    click.echo("\nHow to fix it\n")
    click.echo(rule.remediation)
    if rule.references:
        click.echo("\nReferences\n")
    for ref in rule.references:
        click.echo(f"- {ref}")


if __name__ == "__main__":  # pragma: no cover
    main()
