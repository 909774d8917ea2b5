import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./subjects.ts";

const DOC = join(ROOT, "docs/benchmarks.md");
export const CHART = "benchmarks-config-scale.png";

/**
 * Rewrites every `<!-- bench:NAME -->` … `<!-- /bench:NAME -->` block of docs/benchmarks.md
 * with the section of the same name, and writes the chart beside it.
 */
export function writeDocs(sections: Record<string, string>, png: Uint8Array | undefined): void {
  let doc = readFileSync(DOC, "utf8");
  for (const [name, body] of Object.entries(sections)) {
    const re = new RegExp(`(<!-- bench:${name} -->)[\\s\\S]*?(<!-- /bench:${name} -->)`);
    doc = doc.replace(re, (_m, open: string, close: string) => `${open}\n${body}\n${close}`);
  }
  writeFileSync(DOC, doc);
  if (png) writeFileSync(join(ROOT, "docs", CHART), png);
}
