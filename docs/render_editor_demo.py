"""Render what an editor shows with `seawall lsp`: docs/images/editor-diagnostics.svg.

There is no desktop editor here, so this script is the editor: it starts the real server
(`python -m linter lsp`) and speaks LSP to it over stdio with pygls's client, opens a file of
the example project, waits for `textDocument/publishDiagnostics`, asks for the code actions
of each diagnostic, and draws the buffer with the diagnostics underlined (squiggles in the
colour of their severity, the message at the end of the line), a quick-fix menu as a
client shows it, and a problems panel with each diagnostic's related information.

    python docs/render_editor_demo.py                  # examples/storage.tf, lines 14-46
    python docs/render_editor_demo.py --file examples/database.tf --lines 1-45 -o /tmp/db.svg

The output depends only on the example project and the server, so regenerating it without
changes gives the same file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from html import escape
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import BaseLanguageClient
from pygls.uris import from_fs_path, to_fs_path

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30.0

FONT = 13.0
CHAR = FONT * 0.6  # monospace advance
LINE = 19.0
GUTTER = 48.0
PAD = 14.0
COLOURS = {
    lsp.DiagnosticSeverity.Error: "#f14c4c",
    lsp.DiagnosticSeverity.Warning: "#cca700",
    lsp.DiagnosticSeverity.Information: "#3794ff",
    lsp.DiagnosticSeverity.Hint: "#9e9e9e",
}
NAMES = {1: "error", 2: "warning", 3: "info", 4: "hint"}
KEYWORDS = ("resource", "data", "variable", "locals", "module", "output", "provider", "terraform")


async def collect(path: Path) -> tuple[str, list[lsp.Diagnostic], dict[int, list[lsp.CodeAction]]]:
    """Run the server on ``path`` as an editor would; its diagnostics and code actions."""
    client = BaseLanguageClient("render-editor-demo", "1")
    published: list[lsp.PublishDiagnosticsParams] = []

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        published.append(params)

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    await client.start_io(sys.executable, "-m", "linter", "lsp", env=env)
    process = client._server
    try:
        caps = lsp.ClientCapabilities(
            workspace=lsp.WorkspaceClientCapabilities(workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True)),
            text_document=lsp.TextDocumentClientCapabilities(
                publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(related_information=True, version_support=True, data_support=True),
            ),
        )
        await asyncio.wait_for(client.initialize_async(lsp.InitializeParams(process_id=os.getpid(), root_uri=from_fs_path(str(path.parent)), capabilities=caps)), WAIT)
        client.initialized(lsp.InitializedParams())
        uri = from_fs_path(str(path))
        text = path.read_text(encoding="utf-8")
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(uri=uri, language_id="terraform", version=1, text=text)))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while not any(p.uri == uri and p.version == 1 for p in published):
            if loop.time() > deadline:
                raise SystemExit(f"no diagnostics for {path} within {WAIT:.0f}s")
            await asyncio.sleep(0.02)
        diagnostics = list(next(p for p in published if p.uri == uri and p.version == 1).diagnostics)
        actions: dict[int, list[lsp.CodeAction]] = {}
        for i, d in enumerate(diagnostics):
            result = await asyncio.wait_for(
                client.text_document_code_action_async(
                    lsp.CodeActionParams(text_document=lsp.TextDocumentIdentifier(uri=uri), range=d.range, context=lsp.CodeActionContext(diagnostics=[d]))
                ),
                WAIT,
            )
            actions[i] = [a for a in result or [] if isinstance(a, lsp.CodeAction)]
        await asyncio.wait_for(client.shutdown_async(None), WAIT)
        client.exit(None)
        await asyncio.wait_for(process.wait(), WAIT)
        return text, diagnostics, actions
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.wait_for(client.stop(), WAIT)


def _tokens(line: str) -> list[tuple[str, str]]:
    """A little HCL colouring: comments, strings, keywords, the rest."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "#" or line.startswith("//", i):
            out.append((line[i:], "#6a9955"))
            break
        if ch == '"':
            j = i + 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            out.append((line[i : j + 1], "#ce9178"))
            i = j + 1
            continue
        j = i
        while j < len(line) and (line[j].isalnum() or line[j] in "_-."):
            j += 1
        if j > i:
            word = line[i:j]
            colour = "#569cd6" if word in KEYWORDS or word in ("true", "false", "null") else ("#9cdcfe" if "." not in word else "#4ec9b0")
            out.append((word, colour))
            i = j
            continue
        out.append((ch, "#d4d4d4"))
        i += 1
    return out


def _squiggle(x0: float, x1: float, y: float, colour: str) -> str:
    step = 3.0
    points = [f"M{x0:.1f},{y:.1f}"]
    x, up = x0, True
    while x < x1:
        x = min(x + step, x1)
        points.append(f"L{x:.1f},{y - 2 if up else y:.1f}")
        up = not up
    return f'<path d="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="1.2"/>'


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 0)] + "…"


def render(path: Path, text: str, diagnostics: list[lsp.Diagnostic], actions: dict[int, list[lsp.CodeAction]], first: int, last: int) -> str:
    lines = text.split("\n")
    last = min(last, len(lines))
    shown = range(first - 1, last)
    width_chars = 118
    width = GUTTER + PAD + width_chars * CHAR + PAD
    title_h = 30.0
    code_top = title_h + 10
    code_h = len(shown) * LINE + 10
    ordered = sorted(range(len(diagnostics)), key=lambda i: (diagnostics[i].range.start.line, diagnostics[i].range.start.character))
    panel_lines: list[tuple[str, str, str]] = []  # (text, colour, weight)
    for i in ordered:
        d = diagnostics[i]
        colour = COLOURS.get(d.severity or 1, "#f14c4c")
        head = d.message.split("\n")[0]
        panel_lines.append((f"● {path.name}:{d.range.start.line + 1}:{d.range.start.character + 1}  [{d.code}]  {head}", colour, "bold"))
        for extra in d.message.split("\n")[1:]:
            panel_lines.append((f"     {extra}", "#c5c5c5", "normal"))
        for r in d.related_information or []:
            where = Path(to_fs_path(r.location.uri) or r.location.uri).name
            panel_lines.append((f"     ↳ {where}:{r.location.range.start.line + 1}: {r.message}", "#9cdcfe", "normal"))
        for a in actions.get(i, []):
            panel_lines.append((f"     {'quick fix' if a.is_preferred else 'action'}: {a.title}", "#d7ba7d", "normal"))
    panel_top = code_top + code_h + 16
    panel_h = 28 + len(panel_lines) * (LINE - 2) + 10
    height = panel_top + panel_h + PAD
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{FONT:.0f}">',
        '<rect width="100%" height="100%" fill="#1e1e1e"/>',
        f'<rect width="100%" height="{title_h:.0f}" fill="#2d2d2d"/>',
        f'<text x="{PAD:.0f}" y="20" fill="#cccccc">{escape(str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name)} — diagnostics from seawall lsp ({len(diagnostics)})</text>',
    ]
    for row, index in enumerate(shown):
        y = code_top + (row + 1) * LINE
        line = lines[index]
        out.append(f'<text x="{GUTTER - 8:.0f}" y="{y:.1f}" fill="#858585" text-anchor="end">{index + 1}</text>')
        x = GUTTER + PAD
        spans = []
        for chunk, colour in _tokens(line):
            spans.append(f'<tspan fill="{colour}">{escape(chunk)}</tspan>')
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" xml:space="preserve">{"".join(spans)}</text>')
        on_line = [diagnostics[i] for i in ordered if diagnostics[i].range.start.line == index]
        for d in on_line:
            colour = COLOURS.get(d.severity or 1, "#f14c4c")
            start = d.range.start.character
            end = d.range.end.character if d.range.end.line == index else len(line)
            out.append(_squiggle(x + start * CHAR, x + max(end, start + 1) * CHAR, y + 4, colour))
        if on_line:
            d = on_line[0]
            colour = COLOURS.get(d.severity or 1, "#f14c4c")
            out.append(f'<circle cx="{GUTTER - 34:.0f}" cy="{y - 4:.1f}" r="4" fill="{colour}"/>')
            msg_x = x + (len(line) + 3) * CHAR
            room = int((width - PAD - msg_x) / (CHAR * 0.93))
            label = _clip(f"{d.code}: {d.message.split(chr(10))[0]}", room)
            out.append(f'<text x="{msg_x:.1f}" y="{y:.1f}" fill="{colour}" font-style="italic" font-size="{FONT - 1:.0f}" opacity="0.9">{escape(label)}</text>')
    # the quick-fix menu of the first diagnostic that has a preferred fix, as a client shows it
    menu = next((i for i in ordered if any(a.is_preferred for a in actions.get(i, [])) and first - 1 <= diagnostics[i].range.start.line < last), None)
    if menu is not None:
        d = diagnostics[menu]
        row = d.range.start.line - (first - 1)
        titles = ["   " + a.title for a in actions[menu]]
        box_w = (max(len(t) for t in titles) + 4) * CHAR
        box_x = GUTTER + PAD + (d.range.end.character + 2) * CHAR
        box_y = code_top + (row + 1) * LINE + 8
        out.append(f'<rect x="{box_x:.1f}" y="{box_y:.1f}" width="{box_w:.1f}" height="{len(titles) * LINE + 10:.1f}" rx="4" fill="#252526" stroke="#454545"/>')
        for k, t in enumerate(titles):
            ty = box_y + 5 + (k + 1) * LINE - 4
            if k == 0:
                out.append(f'<rect x="{box_x + 2:.1f}" y="{ty - LINE + 6:.1f}" width="{box_w - 4:.1f}" height="{LINE:.1f}" fill="#04395e"/>')
            if actions[menu][k].is_preferred:  # the light bulb of the preferred fix
                out.append(f'<circle cx="{box_x + CHAR * 2:.1f}" cy="{ty - 4:.1f}" r="4" fill="#ffcc00"/>')
            out.append(f'<text x="{box_x + CHAR:.1f}" y="{ty:.1f}" fill="#cccccc" xml:space="preserve">{escape(t)}</text>')
    out.append(f'<rect x="0" y="{panel_top - 8:.1f}" width="100%" height="{panel_h + PAD + 8:.1f}" fill="#181818"/>')
    out.append(f'<text x="{PAD:.0f}" y="{panel_top + 12:.1f}" fill="#e7e7e7" font-weight="bold">PROBLEMS</text>')
    for k, (t, colour, weight) in enumerate(panel_lines):
        y = panel_top + 30 + k * (LINE - 2)
        out.append(f'<text x="{PAD:.0f}" y="{y:.1f}" fill="{colour}" font-size="{FONT - 1:.0f}" font-weight="{weight}" xml:space="preserve">{escape(_clip(t, int((width - 2 * PAD) / (CHAR * 0.93))))}</text>')
    out.append("</svg>\n")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", default="examples/storage.tf", help="the file to open (default: examples/storage.tf)")
    parser.add_argument("--lines", default="14-46", help="the lines to show, FIRST-LAST (default: 14-46)")
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "images" / "editor-diagnostics.svg"))
    args = parser.parse_args(argv)
    path = Path(args.file)
    path = (path if path.is_absolute() else (ROOT / path)).resolve()
    first, _, last = args.lines.partition("-")
    text, diagnostics, actions = asyncio.run(collect(path))
    svg = render(path, text, diagnostics, actions, int(first), int(last or first))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(svg, encoding="utf-8")
    print(f"{args.output}: {len(diagnostics)} diagnostics drawn")


if __name__ == "__main__":
    main()
