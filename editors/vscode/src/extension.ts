// seawall for VS Code: starts `seawall lsp` and lets vscode-languageclient do the rest
// (diagnostics, quick fixes, suppressions come from the server).
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from "vscode-languageclient/node";
import { DEFAULTS, DOCUMENT_SELECTOR, Settings, initializationOptions, serverCommand } from "./settings";

let client: LanguageClient | undefined;

function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration("seawall");
  return {
    path: config.get<string>("path", DEFAULTS.path),
    interpreter: config.get<string>("interpreter", DEFAULTS.interpreter),
    configFile: config.get<string>("configFile", DEFAULTS.configFile),
    strict: config.get<boolean>("strict", DEFAULTS.strict),
    showPosture: config.get<boolean>("showPosture", DEFAULTS.showPosture),
    debounceMs: config.get<number>("debounceMs", DEFAULTS.debounceMs),
  };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const settings = readSettings();
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const { command, args } = serverCommand(settings, folder);
  const serverOptions: ServerOptions = { command, args, transport: TransportKind.stdio, options: { cwd: folder } };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    initializationOptions: initializationOptions(settings, folder),
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/{.seawall.toml,pyproject.toml}") },
  };
  client = new LanguageClient("seawall", "seawall", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    void vscode.window.showErrorMessage(
      `seawall: could not start \`${[command, ...args].join(" ")}\` (${String(err)}). Install seawall (pip install seawall) or set seawall.path / seawall.interpreter.`,
    );
  }
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  await start(context);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("seawall")) {
        await client?.stop();
        await start(context);
      }
    }),
  );
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
