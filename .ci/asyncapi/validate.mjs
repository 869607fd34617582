#!/usr/bin/env node
// Validates an AsyncAPI document with the official parser (@asyncapi/parser): exits 0 if it
// parses without errors, 1 otherwise, printing every diagnostic of severity error or warning.
//   node .ci/asyncapi/validate.mjs docs/asyncapi.yaml
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs ASYNCAPI.yaml");
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"), { source: file });
const SEVERITY = ["error", "warning", "info", "hint"];
let errors = 0;
for (const d of diagnostics) {
  if (d.severity > 1) continue;
  if (d.severity === 0) errors += 1;
  console.log(`${SEVERITY[d.severity]}  ${d.code}  ${d.path.join(".")}: ${d.message}`);
}
if (!document || errors > 0) {
  console.log(`${file}: INVALID (${errors} error(s))`);
  process.exit(1);
}
const messages = document.allMessages().length;
console.log(`${file}: valid AsyncAPI ${document.version()}, ${document.channels().length} channels, ${messages} messages`);
