import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./subjects.ts";

const DOC = join(ROOT, "docs/benchmarks.md");
export const CHART = "benchmarks-config-scale.png";
export const AGENT_CHART = "benchmarks-agents.png";

/**
 * Rewrites every `<!-- bench:NAME -->` … `<!-- /bench:NAME -->` block of docs/benchmarks.md
 * with the section of the same name, and writes the charts (file name → PNG) beside it.
 */
export function writeDocs(sections: Record<string, string>, charts: Record<string, Uint8Array>): void {
  let doc = readFileSync(DOC, "utf8");
  for (const [name, body] of Object.entries(sections)) {
    const re = new RegExp(`(<!-- bench:${name} -->)[\\s\\S]*?(<!-- /bench:${name} -->)`);
    doc = doc.replace(re, (_m, open: string, close: string) => `${open}\n${body}\n${close}`);
  }
  writeFileSync(DOC, doc);
  for (const [name, png] of Object.entries(charts)) writeFileSync(join(ROOT, "docs", name), png);
}
