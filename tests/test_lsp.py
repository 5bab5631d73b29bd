"""The language server, driven as editors drive it: `python -m linter lsp` in a subprocess,
spoken to over stdio by pygls's own LSP client. Nothing of the protocol is mocked.

Every wait has a timeout and every session ends with shutdown/exit (the server's exit code
is checked) or, when something went wrong, with the server process killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import ROOT
from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient
from pygls.uris import from_fs_path

WAIT = 15.0  # seconds: the longest any single step may take
SCENARIO = 60.0  # seconds: the longest a whole test may take

VARIABLES_TF = """\
variable "logs_acl" {
  type    = string
  default = "public-read"
}
"""

MAIN_TF = """\
resource "aws_s3_bucket" "data" {
  bucket = "customer-data"
}

resource "aws_s3_bucket_acl" "data" {
  bucket = aws_s3_bucket.data.id
  acl    = "public-read"
}

resource "aws_s3_bucket" "logs" {
  bucket = "access-logs"
}

resource "aws_s3_bucket_acl" "logs" {
  bucket = aws_s3_bucket.logs.id
  acl    = var.logs_acl
}
"""
PUBLIC_ACL = "aws-s3-bucket-public-acl"
DATA_ACL_RANGE = ((6, 2), (6, 24))  # `acl    = "public-read"`, 0-based, end exclusive
LOGS_ACL_LINE = 15

SERVICE_YAML = """\
apiVersion: v1
kind: Service
metadata:
  name: orders-db
  labels:
    app: orders-db
spec:
  type: LoadBalancer
  selector:
    app: orders-db
  ports:
    - port: 5432
---
apiVersion: v1
kind: Service
metadata: {name: "büro-🚀", namespace: default}
spec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}
"""


# --------------------------------------------------------------------------- the client


class Client(BaseLanguageClient):
    def __init__(self) -> None:
        super().__init__("seawall-tests", "1")
        self.published: list[lsp.PublishDiagnosticsParams] = []
        self.versions: dict[str, int] = {}

        @self.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.published.append(params)

        @self.feature(lsp.WINDOW_LOG_MESSAGE)
        def on_log(params: lsp.LogMessageParams) -> None:
            pass

        @self.feature(lsp.WINDOW_SHOW_MESSAGE)
        def on_message(params: lsp.ShowMessageParams) -> None:
            pass

    # documents ---------------------------------------------------------------

    def open(self, path: Path, text: str, language: str = "terraform") -> str:
        uri = from_fs_path(str(path))
        assert uri
        self.versions[uri] = 1
        self.text_document_did_open(
            lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(uri=uri, language_id=language, version=1, text=text))
        )
        return uri

    def change(self, uri: str, text: str) -> int:
        """Replace the whole buffer (a full-text change event); returns the new version."""
        version = self.versions[uri] = self.versions[uri] + 1
        self.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return version

    def edit(self, uri: str, rng: lsp.Range, new_text: str) -> int:
        """An incremental change, as editors send while typing; returns the new version."""
        version = self.versions[uri] = self.versions[uri] + 1
        self.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangePartial(range=rng, text=new_text)],
            )
        )
        return version

    async def diagnostics(
        self, uri: str, version: int | None = None, where: Callable[[lsp.PublishDiagnosticsParams], bool] | None = None, after: int = 0
    ) -> lsp.PublishDiagnosticsParams:
        """The first publish for ``uri`` (at ``version``; matching ``where``) among those
        received from index ``after`` on, waiting for it up to WAIT seconds."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for p in self.published[after:]:
                if p.uri == uri and (version is None or p.version == version) and (where is None or where(p)):
                    return p
            await asyncio.sleep(0.01)
        raise AssertionError(f"no diagnostics for {uri} v{version} within {WAIT}s; received: {[(p.uri, p.version, len(p.diagnostics)) for p in self.published]}")

    async def actions(self, uri: str, diagnostic: lsp.Diagnostic) -> list[lsp.CodeAction]:
        result = await asyncio.wait_for(
            self.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    range=diagnostic.range,
                    context=lsp.CodeActionContext(diagnostics=[diagnostic], trigger_kind=lsp.CodeActionTriggerKind.Invoked),
                )
            ),
            WAIT,
        )
        return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


CAPABILITIES = lsp.ClientCapabilities(
    workspace=lsp.WorkspaceClientCapabilities(workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True)),
    text_document=lsp.TextDocumentClientCapabilities(
        synchronization=lsp.TextDocumentSyncClientCapabilities(did_save=True),
        publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(
            related_information=True, version_support=True, code_description_support=True, data_support=True,
            tag_support=lsp.ClientDiagnosticsTagOptions(value_set=[lsp.DiagnosticTag.Unnecessary]),
        ),
        code_action=lsp.CodeActionClientCapabilities(
            code_action_literal_support=lsp.ClientCodeActionLiteralOptions(
                code_action_kind=lsp.ClientCodeActionKindOptions(value_set=[lsp.CodeActionKind.QuickFix])
            ),
            is_preferred_support=True,
            data_support=True,
        ),
    ),
    general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf16]),
)


@contextlib.asynccontextmanager
async def session(root: Path, debounce_ms: int = 50, options: dict[str, Any] | None = None) -> AsyncIterator[Client]:
    """A running server, initialised, shut down and exited cleanly at the end."""
    client = Client()
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": pythonpath, "SEAWALL_LSP_LOG": "warning"}
    await asyncio.wait_for(client.start_io(sys.executable, "-m", "linter", "lsp", cwd=str(root), env=env), WAIT)
    process = client._server
    assert process is not None
    clean = False
    try:
        result = await asyncio.wait_for(
            client.initialize_async(
                lsp.InitializeParams(
                    process_id=os.getpid(),
                    root_uri=from_fs_path(str(root)),
                    capabilities=CAPABILITIES,
                    initialization_options={"debounceMs": debounce_ms, **(options or {})},
                )
            ),
            WAIT,
        )
        assert result.server_info is not None and result.server_info.name == "seawall"
        client.initialized(lsp.InitializedParams())
        yield client
        await asyncio.wait_for(client.shutdown_async(None), WAIT)
        client.exit(None)
        await asyncio.wait_for(process.wait(), WAIT)
        assert process.returncode == 0, f"the server exited with {process.returncode}"
        clean = True
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        if not clean and process.stderr is not None:
            with contextlib.suppress(Exception):
                sys.stderr.write((await asyncio.wait_for(process.stderr.read(), 2)).decode(errors="replace"))
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.stop(), WAIT)


def drive(scenario: Callable[[], Any]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), SCENARIO))


# --------------------------------------------------------------------------- helpers


def offset(text: str, pos: lsp.Position) -> int:
    """An LSP position (UTF-16 code units) -> an index into ``text``."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: pos.line])
    line = lines[pos.line] if pos.line < len(lines) else ""
    units = 0
    for i, ch in enumerate(line):
        if units >= pos.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(line)


def apply(text: str, action: lsp.CodeAction, uri: str, version: int) -> str:
    """Apply a code action's WorkspaceEdit to ``text``, as a client does (checking the version)."""
    assert action.edit is not None and action.edit.document_changes, "edits come as versioned document changes"
    (change,) = action.edit.document_changes
    assert isinstance(change, lsp.TextDocumentEdit)
    assert change.text_document.uri == uri and change.text_document.version == version
    for e in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        assert isinstance(e, lsp.TextEdit)
        text = text[: offset(text, e.range.start)] + e.new_text + text[offset(text, e.range.end) :]
    return text


def by_line(published: lsp.PublishDiagnosticsParams) -> dict[int, lsp.Diagnostic]:
    return {d.range.start.line: d for d in published.diagnostics}


def project(tmp_path: Path, main: str = MAIN_TF) -> Path:
    (tmp_path / "variables.tf").write_text(VARIABLES_TF)
    (tmp_path / "main.tf").write_text(main)
    return tmp_path / "main.tf"


# --------------------------------------------------------------------------- scenarios


def test_diagnostics_quick_fix_and_clean_relint(tmp_path: Path) -> None:
    main = project(tmp_path)

    async def scenario() -> None:
        async with session(tmp_path) as client:
            uri = client.open(main, MAIN_TF)
            first = await client.diagnostics(uri, version=1)
            lines = by_line(first)
            assert sorted(lines) == [6, LOGS_ACL_LINE]

            data = lines[6]
            assert ((data.range.start.line, data.range.start.character), (data.range.end.line, data.range.end.character)) == DATA_ACL_RANGE
            assert data.severity == lsp.DiagnosticSeverity.Error  # critical
            assert data.source == "seawall" and data.code == PUBLIC_ACL
            assert data.code_description is not None and data.code_description.href.startswith("https://docs.aws.amazon.com/")
            assert "aws_s3_bucket.data" in data.message and "fix:" in data.message

            # the module's other file makes this one: the value comes from variables.tf
            logs = lines[LOGS_ACL_LINE]
            assert logs.related_information, "evidence with a place becomes related information"
            (origin,) = [r for r in logs.related_information if r.location.uri.endswith("/variables.tf")]
            assert origin.location.uri == from_fs_path(str(tmp_path / "variables.tf"))
            assert origin.location.range.start.line == 2 and "default" in origin.message

            actions = await client.actions(uri, data)
            fixes = [a for a in actions if a.is_preferred]
            assert [a.title for a in fixes] == ["Make the bucket ACL private"]
            assert all(a.kind == lsp.CodeActionKind.QuickFix for a in actions)
            assert any(a.title.startswith(f"Suppress {PUBLIC_ACL}") for a in actions)
            fixed = apply(MAIN_TF, fixes[0], uri, 1)
            assert fixed.splitlines()[6] == '  acl    = "private"', "the fix keeps terraform fmt alignment"

            # a client that does not keep `data` gets the same actions (the server remembers)
            stripped = attrs.evolve(data, data=None)
            assert [a.title for a in await client.actions(uri, stripped)] == [a.title for a in actions]

            # a value set in a variable is not overwritten at the reference: it is fixed where
            # it is set, the variable's default in variables.tf (not open in the editor)
            [at_default] = [a for a in await client.actions(uri, logs) if a.is_preferred]
            assert at_default.edit is not None and at_default.edit.document_changes
            [change] = at_default.edit.document_changes
            assert isinstance(change, lsp.TextDocumentEdit)
            assert change.text_document.uri == from_fs_path(str(tmp_path / "variables.tf")) and change.text_document.version is None
            [edit] = change.edits
            assert isinstance(edit, lsp.TextEdit)
            assert (edit.range.start.line, edit.new_text) == (2, '  default = "private"')

            version = client.change(uri, fixed)
            second = await client.diagnostics(uri, version=version)
            assert sorted(by_line(second)) == [LOGS_ACL_LINE], "the fixed diagnostic is cleared, the other stays"

            # actions computed for version 1 are not offered once the text has moved on
            assert await client.actions(uri, data) == []

    drive(scenario)


def test_public_access_block_quick_fix_sets_every_flag(tmp_path: Path) -> None:
    """Issue 13 item 15: the quick fix is the same edit as `seawall fix` (tests/test_fix.py)
    and leaves no finding behind, instead of setting one flag of four."""
    from test_fix import PAB_UNSET, PAB_UNSET_FIXED

    main = tmp_path / "main.tf"
    main.write_text(PAB_UNSET)

    async def scenario() -> None:
        async with session(tmp_path) as client:
            uri = client.open(main, PAB_UNSET)
            first = await client.diagnostics(uri, version=1)
            [pab] = [d for d in first.diagnostics if d.code == "aws-s3-public-access-not-blocked"]
            [fix] = [a for a in await client.actions(uri, pab) if a.is_preferred]
            fixed = apply(PAB_UNSET, fix, uri, 1)
            assert fixed == PAB_UNSET_FIXED
            version = client.change(uri, fixed)
            second = await client.diagnostics(uri, version=version)
            assert not [d for d in second.diagnostics if d.code == "aws-s3-public-access-not-blocked"], "the finding must not move to the next flag"

    drive(scenario)


def test_suppression_action_silences_the_finding_once_it_says_why(tmp_path: Path) -> None:
    # the file on disk is harmless; only the unsaved buffer makes the finding
    main = project(tmp_path, main=MAIN_TF.replace('"public-read"', '"private"').replace("var.logs_acl", '"private"'))

    async def scenario() -> None:
        async with session(tmp_path) as client:
            uri = client.open(main, MAIN_TF)
            first = await client.diagnostics(uri, version=1)
            logs = by_line(first)[LOGS_ACL_LINE]
            actions = await client.actions(uri, logs)
            (suppress,) = [a for a in actions if a.title.startswith(f"Suppress {PUBLIC_ACL}")]
            assert not suppress.is_preferred
            text = apply(MAIN_TF, suppress, uri, 1)
            inserted = text.splitlines()[LOGS_ACL_LINE]
            assert inserted == f"  # seawall:ignore {PUBLIC_ACL} TODO: say why this is acceptable", inserted  # indentation kept
            assert text.splitlines()[LOGS_ACL_LINE + 1] == "  acl    = var.logs_acl"

            # the placeholder is not a reason: the finding stays, and the comment says why
            version = client.change(uri, text)
            second = await client.diagnostics(uri, version=version)
            lines = by_line(second)
            assert sorted(lines) == [6, LOGS_ACL_LINE, LOGS_ACL_LINE + 1]
            assert lines[LOGS_ACL_LINE + 1].code == PUBLIC_ACL
            assert lines[LOGS_ACL_LINE].code == "seawall-suppression" and "placeholder" in lines[LOGS_ACL_LINE].message

            # with a reason written over it, the finding is suppressed
            text = text.replace("TODO: say why this is acceptable", "access logs of a public demo, SEC-7")
            version = client.change(uri, text)
            second = await client.diagnostics(uri, version=version)
            assert sorted(by_line(second)) == [6], "only the unsuppressed finding is left"
            assert all(d.code == PUBLIC_ACL for d in second.diagnostics)

            # once the setting is fixed, the suppression is dead code, and shown as such
            version = client.change(uri, text.replace("acl    = var.logs_acl", 'acl    = "private"'))
            third = await client.diagnostics(uri, version=version)
            unused = by_line(third)[LOGS_ACL_LINE]
            assert unused.code == "seawall-suppression" and list(unused.tags or ()) == [lsp.DiagnosticTag.Unnecessary]

    drive(scenario)


def test_broken_file_is_an_error_diagnostic_and_the_server_lives_on(tmp_path: Path) -> None:
    main = project(tmp_path)
    broken = MAIN_TF + '\nresource "aws_s3_bucket" "broken" {\n  bucket = \n'

    async def scenario() -> None:
        async with session(tmp_path) as client:
            uri = client.open(main, broken)
            first = await client.diagnostics(uri, version=1)
            errors = [d for d in first.diagnostics if d.severity == lsp.DiagnosticSeverity.Error and d.code == "parse-error"]
            assert len(errors) == 1, first.diagnostics
            assert errors[0].range.start.line >= 18 and "HCL" in errors[0].message
            assert await client.actions(uri, errors[0]) == []

            version = client.change(uri, MAIN_TF)
            second = await client.diagnostics(uri, version=version)
            assert sorted(by_line(second)) == [6, LOGS_ACL_LINE]

    drive(scenario)


def test_kubernetes_yaml_buffer(tmp_path: Path) -> None:
    path = tmp_path / "services.yaml"

    async def scenario() -> None:
        async with session(tmp_path) as client:
            uri = client.open(path, SERVICE_YAML, language="yaml")  # never saved: nothing on disk
            first = await client.diagnostics(uri, version=1)
            codes = {d.code: d for d in first.diagnostics}
            assert set(codes) == {"k8s-service-public-load-balancer", "k8s-service-node-port"}
            lb = codes["k8s-service-public-load-balancer"]
            assert lb.severity == lsp.DiagnosticSeverity.Error  # high
            assert (lb.range.start.line, lb.range.start.character, lb.range.end.character) == (7, 2, 20)
            node_port = codes["k8s-service-node-port"]
            assert node_port.severity == lsp.DiagnosticSeverity.Warning  # medium
            # UTF-16 positions: the rocket before it on the line counts as two code units
            line = SERVICE_YAML.splitlines()[node_port.range.start.line]
            assert SERVICE_YAML.split("\n")[16][:6] == "spec: "
            assert offset(SERVICE_YAML, node_port.range.start) - sum(len(x) + 1 for x in SERVICE_YAML.split("\n")[: node_port.range.start.line]) == line.index("type")

            (suppress,) = [a for a in await client.actions(uri, lb) if a.title.startswith("Suppress")]
            text = apply(SERVICE_YAML, suppress, uri, 1)
            assert '    seawall.dev/ignore: "k8s-service-public-load-balancer TODO: say why this is acceptable"\n' in text
            version = client.change(uri, text)
            second = await client.diagnostics(uri, version=version)
            assert sorted(str(d.code) for d in second.diagnostics) == ["k8s-service-node-port", "k8s-service-public-load-balancer", "seawall-suppression"]
            version = client.change(uri, text.replace("TODO: say why this is acceptable", "lab cluster, no public nodes"))
            third = await client.diagnostics(uri, version=version)
            assert [d.code for d in third.diagnostics] == ["k8s-service-node-port"]

    drive(scenario)


def test_rapid_changes_publish_once_after_the_pause(tmp_path: Path) -> None:
    main = project(tmp_path)

    async def scenario() -> None:
        async with session(tmp_path, debounce_ms=300) as client:
            uri = client.open(main, MAIN_TF)
            await client.diagnostics(uri, version=1)
            mark = len(client.published)
            # typing: five incremental edits in quick succession, toggling the ACL
            value = lsp.Position(line=6, character=MAIN_TF.splitlines()[6].index('"'))
            texts = ['"private"', '"public-read"', '"private"', '"public-read"', '"private"']
            sent = time.monotonic()
            current = '"public-read"'
            for t in texts:
                version = client.edit(uri, lsp.Range(start=value, end=lsp.Position(line=6, character=value.character + len(current))), t)
                current = t
            last_sent = time.monotonic()
            final = await client.diagnostics(uri, version=version, after=mark)
            elapsed = time.monotonic() - last_sent
            assert elapsed >= 0.25, f"published {elapsed:.3f}s after the last change: not debounced"
            assert last_sent - sent < 0.25, "the edits were not rapid enough to test the debounce"
            assert sorted(by_line(final)) == [LOGS_ACL_LINE], "the final text (private) is what was linted"
            await asyncio.sleep(0.8)  # anything still to come would come now
            after = [p for p in client.published[mark:] if p.uri == uri]
            assert [p.version for p in after] == [version], f"expected one publish, got versions {[p.version for p in after]}"

            # and the lint used the final text, not the file on disk (still public)
            assert '"public-read"' in main.read_text()

    drive(scenario)


def test_never_publishes_results_for_an_older_version(tmp_path: Path) -> None:
    main = project(tmp_path)
    private = MAIN_TF.replace('acl    = "public-read"', 'acl    = "private"')

    async def scenario() -> None:
        async with session(tmp_path, debounce_ms=0) as client:
            uri = client.open(main, MAIN_TF)
            texts = {1: MAIN_TF}
            for i in range(12):  # no debounce at all: superseding alone must keep results current
                text = private if i % 2 == 0 else MAIN_TF
                texts[client.change(uri, text)] = text
                await asyncio.sleep(0.04 * (i % 4))  # some lints finish in between, some are overtaken
            last = max(texts)
            await client.diagnostics(uri, version=last)
            await asyncio.sleep(0.3)
            mine = [p for p in client.published if p.uri == uri]
            versions = [p.version for p in mine]
            assert versions == sorted(versions) and versions[-1] == last, versions
            for p in mine:
                expected = [6, LOGS_ACL_LINE] if texts[p.version] == MAIN_TF else [LOGS_ACL_LINE]
                assert sorted(by_line(p)) == expected, f"v{p.version} published diagnostics of another text"

    drive(scenario)


def test_server_answers_requests_while_a_lint_runs(tmp_path: Path) -> None:
    # a module big enough that linting it takes a good fraction of a second
    for f in range(12):
        (tmp_path / f"buckets{f}.tf").write_text(
            "".join(f'resource "aws_s3_bucket" "b{f}_{i}" {{\n  bucket = "b-{f}-{i}"\n  tags   = {{ Team = "t{i}" }}\n}}\n\n' for i in range(120))
        )
    path = tmp_path / "buckets0.tf"

    async def scenario() -> None:
        async with session(tmp_path) as client:
            uri = client.open(path, path.read_text())
            await asyncio.sleep(0.15)  # the lint is under way now
            nowhere = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0))
            answered = await client.actions(uri, lsp.Diagnostic(range=nowhere, message="not ours", source="other"))
            answered_at = len(client.published)
            await client.diagnostics(uri, version=1)
            assert answered == [] and answered_at == 0, "the request waited for the lint: the event loop was blocked"

    drive(scenario)


def test_unsaved_variables_buffer_is_context_for_the_open_module(tmp_path: Path) -> None:
    main = project(tmp_path)
    variables = tmp_path / "variables.tf"

    async def scenario() -> None:
        async with session(tmp_path) as client:
            main_uri = client.open(main, MAIN_TF)
            assert sorted(by_line(await client.diagnostics(main_uri, version=1))) == [6, LOGS_ACL_LINE]
            vars_uri = client.open(variables, VARIABLES_TF)
            mark = len(client.published)
            client.change(vars_uri, VARIABLES_TF.replace('"public-read"', '"private"'))  # not saved
            relinted = await client.diagnostics(main_uri, after=mark)
            assert relinted.version == 1 and sorted(by_line(relinted)) == [6]

            client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=vars_uri)))
            cleared = await client.diagnostics(vars_uri, after=mark, where=lambda p: p.version is None)
            assert list(cleared.diagnostics) == []
            back = await client.diagnostics(main_uri, after=mark, where=lambda p: LOGS_ACL_LINE in by_line(p))
            assert sorted(by_line(back)) == [6, LOGS_ACL_LINE], "closed without saving: the file on disk counts again"

    drive(scenario)


def test_configuration_file_is_honoured(tmp_path: Path) -> None:
    main = project(tmp_path)
    (tmp_path / ".seawall.toml").write_text(f'ignore = ["{PUBLIC_ACL}"]\n')
    other = tmp_path / "bad"
    other.mkdir()
    (other / ".seawall.toml").write_text('colour = "red"\n')
    (other / "main.tf").write_text(MAIN_TF)

    async def scenario() -> None:
        async with session(tmp_path) as client:
            uri = client.open(main, MAIN_TF)
            assert list((await client.diagnostics(uri, version=1)).diagnostics) == []
            bad = client.open(other / "main.tf", MAIN_TF)
            (error,) = (await client.diagnostics(bad, version=1)).diagnostics
            assert error.code == "configuration-error" and "colour" in error.message
            assert error.severity == lsp.DiagnosticSeverity.Error

    drive(scenario)


def test_posture_findings_are_information_unless_strict_and_can_be_hidden(tmp_path: Path) -> None:
    """EKS nodes opening SSH in subnets with no route from the internet: one step away. Its
    severity is raised to high by the configuration, so only the verdict makes it quiet."""
    nodes = tmp_path / "nodes.tf"
    text = (ROOT / "tests" / "fixtures" / "aws-eks-node-group-ssh-open" / "fail" / "private_subnets.tf").read_text()
    nodes.write_text(text)
    (tmp_path / ".seawall.toml").write_text('[severity]\naws-eks-node-group-ssh-open = "high"\n')

    async def diagnostics(options: dict[str, Any]) -> list[lsp.Diagnostic]:
        async with session(tmp_path, options=options) as client:
            uri = client.open(nodes, text)
            return list((await client.diagnostics(uri, version=1)).diagnostics)

    async def scenario() -> None:
        (quiet,) = await diagnostics({})
        assert quiet.severity == lsp.DiagnosticSeverity.Information and quiet.range.start.line == 35
        assert "\none step away: " in quiet.message
        assert isinstance(quiet.data, dict) and quiet.data["verdict"] == "posture" and quiet.data["severity"] == "high"
        (loud,) = await diagnostics({"strict": True})
        assert loud.severity == lsp.DiagnosticSeverity.Error
        assert await diagnostics({"showPosture": False}) == []

    drive(scenario)


# --------------------------------------------------------------------------- unsaved buffers
# The engine reads every buffer as the editor holds it: a new file, moved lines, variables.


def test_new_unsaved_terraform_file(tmp_path: Path) -> None:
    (tmp_path / "variables.tf").write_text(VARIABLES_TF)

    async def scenario() -> None:
        async with session(tmp_path) as client:
            uri = client.open(tmp_path / "main.tf", MAIN_TF)  # not on disk yet
            assert sorted(by_line(await client.diagnostics(uri, version=1))) == [6, LOGS_ACL_LINE]

    drive(scenario)


def test_quick_fix_after_unsaved_lines_move(tmp_path: Path) -> None:
    main = project(tmp_path)

    async def scenario() -> None:
        async with session(tmp_path) as client:
            uri = client.open(main, "# a line typed, not saved\n" + MAIN_TF)
            data = by_line(await client.diagnostics(uri, version=1))[7]
            assert [a.title for a in await client.actions(uri, data) if a.is_preferred] == ["Make the bucket ACL private"]

    drive(scenario)


def test_unsaved_tfvars_buffer_is_context(tmp_path: Path) -> None:
    main = project(tmp_path)
    (tmp_path / "terraform.tfvars").write_text('logs_acl = "public-read"\n')

    async def scenario() -> None:
        async with session(tmp_path) as client:
            main_uri = client.open(main, MAIN_TF)
            assert LOGS_ACL_LINE in by_line(await client.diagnostics(main_uri, version=1))
            tfvars = client.open(tmp_path / "terraform.tfvars", 'logs_acl = "public-read"\n')
            mark = len(client.published)
            client.change(tfvars, 'logs_acl = "private"\n')
            relinted = await client.diagnostics(main_uri, after=mark)
            assert sorted(by_line(relinted)) == [6]

    drive(scenario)


def test_a_change_reparses_only_the_changed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """didChange on one file of a module: the other files' parses come from the cache."""
    import shutil

    from pygls.workspace import PositionCodec

    from linter.cache import Cache, use
    from linter.lsp import Linter, LintRequest
    from linter.parsers.terraform import config as terraform_config

    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples", project)
    monkeypatch.setenv("SEAWALL_CACHE_DIR", str(tmp_path / "cache"))
    use(Cache(enabled=True))
    parsed: list[str] = []
    real = terraform_config.parse_hcl
    monkeypatch.setattr(terraform_config, "parse_hcl", lambda text, path: parsed.append(os.path.basename(path)) or real(text, path))
    linter = Linter()
    main = str(project / "network.tf")
    text = (project / "network.tf").read_text()

    def lint(buffer: str, version: int) -> list[lsp.Diagnostic]:
        uri = from_fs_path(main) or ""
        return linter.diagnostics(LintRequest(uri, main, buffer, version, {main: buffer}, PositionCodec(lsp.PositionEncodingKind.Utf16)))

    first = lint(text, 1)
    assert sorted(set(parsed)) == ["cluster.tf", "database.tf", "main.tf", "network.tf", "storage.tf", "terraform.tfvars", "variables.tf"]
    parsed.clear()
    # issue 19 item 5: the module's other parses stay in memory, nothing is read back from disk
    import pickle

    loads = [0]
    load = pickle.loads
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: loads.__setitem__(0, loads[0] + 1) or load(*a, **k))
    edited = text.replace('cidr_ipv4         = "0.0.0.0/0"', 'cidr_ipv4         = "10.0.0.0/8"')
    assert edited != text
    second = lint(edited, 2)
    assert parsed == ["network.tf"], "only the edited buffer is parsed again"
    assert len(first) > len(second)
    for version in range(3, 6):  # typing on: one parse per edit, every time
        parsed.clear()
        lint(edited + "\n" * version, version)
        assert parsed == ["network.tf"]
    assert loads[0] == 0, f"{loads[0]} cached parses read back from disk during edits"


def test_the_garbage_collector_runs_between_lints_not_during_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19 item 5: with the automatic collector off (as `seawall lsp` runs), the lint
    worker collects when idle, so a collection never lands in the middle of a lint."""
    import gc

    import linter.lsp as server

    monkeypatch.setattr(server, "IDLE_COLLECT_SECONDS", 0.05)
    during: list[int] = []

    def lint() -> int:
        before = worker.collections
        time.sleep(0.2)  # a lint longer than the idle pause: no collection may start inside it
        during.append(worker.collections - before)
        return 1

    enabled = gc.isenabled()
    gc.disable()
    worker = server.Worker()
    try:

        async def scenario() -> None:
            assert await worker.submit(lint) == 1
            assert await worker.submit(lint) == 1

        asyncio.run(scenario())
        deadline = time.monotonic() + 10
        while not worker.collections and time.monotonic() < deadline:
            time.sleep(0.02)
        assert worker.collections >= 1, "the worker never collected while idle"
        assert during == [0, 0]
    finally:
        worker.stop()
        if enabled:
            gc.enable()


# --------------------------------------------------------------------------- Ctrl-C


def _server_env() -> dict[str, str]:
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": pythonpath, "SEAWALL_LSP_LOG": "debug"}


def _read_until(fd: int, marker: bytes, deadline: float) -> bytes:
    import select

    seen = b""
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            seen += chunk
    return seen


def _wait(pid: int, deadline: float) -> int | None:
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    return None


def test_ctrl_c_in_a_terminal_stops_the_server_at_once_and_cleanly() -> None:
    import pty
    import signal

    pid, fd = pty.fork()
    if pid == 0:  # the child: `seawall lsp` in a terminal, as a person starts it by hand
        try:
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, "-m", "linter", "lsp"], _server_env())
        finally:
            os._exit(127)
    try:
        started = _read_until(fd, b"Starting async IO server", time.monotonic() + WAIT)
        assert b"Starting async IO server" in started, started.decode(errors="replace")
        os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT to the foreground process
        code = _wait(pid, time.monotonic() + WAIT)
        output = started + _read_until(fd, b"\0", time.monotonic() + 1)
        assert code is not None, "the first Ctrl-C did not stop the server"
        text = output.decode(errors="replace")
        assert code == 130, text
        assert "Fatal Python error" not in text and "Traceback" not in text and "Aborted" not in text
    finally:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def test_sigint_with_stdin_a_pipe_stops_the_server_cleanly() -> None:
    import json
    import signal
    import subprocess

    proc = subprocess.Popen(
        [sys.executable, "-m", "linter", "lsp"], cwd=ROOT, env=_server_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
        proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        proc.stdin.flush()
        answer = _read_until(proc.stdout.fileno(), b'"serverInfo"', time.monotonic() + WAIT)
        assert b'"serverInfo"' in answer, "the server did not answer initialize"
        proc.send_signal(signal.SIGINT)  # the server is now idle, waiting on standard input
        _, err = proc.communicate(timeout=WAIT)
        text = err.decode(errors="replace")
        assert proc.returncode == 130, text
        assert "Fatal Python error" not in text and "Traceback" not in text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
