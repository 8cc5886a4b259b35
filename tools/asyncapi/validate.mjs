// Parses an AsyncAPI document with the specification's own parser; prints its diagnostics as JSON lines and exits
// 1 when any is an error (severity 0).
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const path = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"), { source: path });
for (const d of diagnostics) {
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path }));
}
const errors = diagnostics.filter((d) => d.severity === 0);
if (!document || errors.length) process.exit(1);
console.log(JSON.stringify({ ok: true, channels: document.channels().all().map((c) => c.address()) }));
