// How the extension starts seawall's language server and what it tells it: pure functions
// of the settings, with no import of `vscode`, so the client test (test/client.test.mjs)
// runs exactly this code outside VS Code.
import * as path from "path";

export interface Settings {
  path: string;
  interpreter: string;
  configFile: string;
  strict: boolean;
  showPosture: boolean;
  debounceMs: number;
}

export const DEFAULTS: Settings = { path: "", interpreter: "", configFile: "", strict: false, showPosture: true, debounceMs: 300 };

export interface ServerCommand {
  command: string;
  args: string[];
}

/** The configured interpreter (`<python> -m linter lsp`), else the configured command, else
 * `seawall` on PATH. Relative paths are taken from the workspace folder. */
export function serverCommand(settings: Settings, workspaceFolder?: string): ServerCommand {
  const resolve = (p: string): string =>
    workspaceFolder && !path.isAbsolute(p) && (p.includes("/") || p.includes("\\")) ? path.join(workspaceFolder, p) : p;
  if (settings.interpreter.trim()) {
    return { command: resolve(settings.interpreter.trim()), args: ["-m", "linter", "lsp"] };
  }
  return { command: resolve(settings.path.trim() || "seawall"), args: ["lsp"] };
}

/** What the server reads at `initialize` (see linter/lsp.py). */
export function initializationOptions(settings: Settings, workspaceFolder?: string): Record<string, unknown> {
  const options: Record<string, unknown> = { debounceMs: settings.debounceMs, strict: settings.strict, showPosture: settings.showPosture };
  if (settings.configFile.trim()) {
    const file = settings.configFile.trim();
    options.configFile = workspaceFolder && !path.isAbsolute(file) ? path.join(workspaceFolder, file) : file;
  }
  return options;
}

/** The documents seawall checks: Terraform, tfvars, YAML and JSON files on disk (the
 * server itself skips YAML and JSON that are not infrastructure). */
export const DOCUMENT_SELECTOR = [
  { scheme: "file", language: "terraform" },
  { scheme: "file", language: "terraform-vars" },
  { scheme: "file", language: "yaml" },
  { scheme: "file", language: "json" },
  { scheme: "file", pattern: "**/*.{tf,tfvars}" },
];
