// Drives the extension's client code (out/settings.js: the command, the initialization
// options, the document selector) against the real `seawall lsp` over stdio, with the Node
// LSP libraries vscode-languageclient is built on (vscode-languageserver-protocol). VS Code
// itself cannot run here. SEAWALL_PYTHON names an interpreter with seawall installed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { DEFAULTS, DOCUMENT_SELECTOR, initializationOptions, serverCommand } = require("../out/settings.js");
const rpc = require("vscode-languageserver-protocol/node");

const PUBLIC_ACL = 'resource "aws_s3_bucket" "b" {\n  bucket = "customer-data"\n  acl    = "public-read"\n}\n';
const WAIT_MS = 20000;

async function withServer(settings, folder, body) {
  const { command, args } = serverCommand(settings, folder);
  const server = spawn(command, args, { cwd: folder, stdio: ["pipe", "pipe", "inherit"] });
  const connection = rpc.createProtocolConnection(new rpc.StreamMessageReader(server.stdout), new rpc.StreamMessageWriter(server.stdin));
  const published = [];
  const waiters = [];
  connection.onNotification(rpc.PublishDiagnosticsNotification.type, (params) => {
    published.push(params);
    for (const w of waiters.splice(0)) w();
  });
  connection.listen();
  const diagnosticsFor = async (uri) => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = published.find((p) => p.uri === uri);
      if (found) return found.diagnostics;
      assert.ok(Date.now() < deadline, `no diagnostics for ${uri} within ${WAIT_MS} ms`);
      await new Promise((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  try {
    const init = await connection.sendRequest(rpc.InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(folder).href,
      capabilities: { textDocument: { publishDiagnostics: { relatedInformation: true }, codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ["quickfix"] } } } } },
      initializationOptions: initializationOptions(settings, folder),
    });
    assert.equal(init.serverInfo.name, "seawall");
    connection.sendNotification(rpc.InitializedNotification.type, {});
    await body(connection, diagnosticsFor);
  } finally {
    await connection.sendRequest(rpc.ShutdownRequest.type).catch(() => undefined);
    connection.sendNotification(rpc.ExitNotification.type);
    await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.on("exit", resolve)));
    connection.dispose();
  }
}

function open(connection, file, text) {
  const uri = pathToFileURL(file).href;
  const language = DOCUMENT_SELECTOR[0].language; // "terraform": what VS Code's Terraform extension reports
  connection.sendNotification(rpc.DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: language, version: 1, text } });
  return uri;
}

const python = process.env.SEAWALL_PYTHON;

test("the settings start the server from the interpreter, or seawall on PATH", () => {
  assert.deepEqual(serverCommand({ ...DEFAULTS }), { command: "seawall", args: ["lsp"] });
  assert.deepEqual(serverCommand({ ...DEFAULTS, path: "/opt/seawall/bin/seawall" }), { command: "/opt/seawall/bin/seawall", args: ["lsp"] });
  assert.deepEqual(serverCommand({ ...DEFAULTS, interpreter: ".venv/bin/python" }, "/work"), { command: "/work/.venv/bin/python", args: ["-m", "linter", "lsp"] });
  assert.deepEqual(initializationOptions({ ...DEFAULTS, strict: true, configFile: "ci/seawall.toml" }, "/work"), {
    debounceMs: 300,
    strict: true,
    showPosture: true,
    configFile: "/work/ci/seawall.toml",
  });
  assert.equal(initializationOptions({ ...DEFAULTS, showPosture: false }).showPosture, false);
});

test("diagnostics and the quick fix come from seawall lsp", { skip: !python && "SEAWALL_PYTHON is not set" }, async () => {
  const folder = mkdtempSync(join(tmpdir(), "seawall-vscode-"));
  const file = join(folder, "main.tf");
  writeFileSync(file, PUBLIC_ACL);
  await withServer({ ...DEFAULTS, interpreter: python, debounceMs: 50 }, folder, async (connection, diagnosticsFor) => {
    const uri = open(connection, file, PUBLIC_ACL);
    const diagnostics = await diagnosticsFor(uri);
    const acl = diagnostics.find((d) => d.code === "aws-s3-bucket-public-acl");
    assert.ok(acl, JSON.stringify(diagnostics));
    assert.equal(acl.source, "seawall");
    assert.equal(acl.severity, 1); // critical: an error
    assert.equal(acl.range.start.line, 2);
    const actions = await connection.sendRequest(rpc.CodeActionRequest.type, {
      textDocument: { uri },
      range: acl.range,
      context: { diagnostics: [acl] },
    });
    const fix = actions.find((a) => a.isPreferred);
    assert.equal(fix.title, "Make the bucket ACL private");
    assert.equal(fix.edit.changes[uri][0].newText, '  acl    = "private"');
  });
});

test("the configuration file setting reaches the server", { skip: !python && "SEAWALL_PYTHON is not set" }, async () => {
  const folder = mkdtempSync(join(tmpdir(), "seawall-vscode-"));
  const file = join(folder, "main.tf");
  writeFileSync(file, PUBLIC_ACL);
  const config = join(folder, "team.toml");
  writeFileSync(config, '[tool.seawall]\nignore = ["aws-s3-bucket-public-acl"]\n');
  await withServer({ ...DEFAULTS, interpreter: python, debounceMs: 50, configFile: "team.toml" }, folder, async (connection, diagnosticsFor) => {
    const diagnostics = await diagnosticsFor(open(connection, file, PUBLIC_ACL));
    assert.deepEqual(diagnostics.map((d) => d.code), []);
  });
});
