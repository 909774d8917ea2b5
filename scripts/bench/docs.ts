import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./subjects.ts";

const DOC = join(ROOT, "docs/benchmarks.md");
export const CHART = "benchmarks-config-scale.png";

/** The database-scale measurements (100,000 virtual keys, 1,000,000 spend rows) need `src/db`. */
export function dbScaleNote(): string {
  if (!existsSync(join(ROOT, "src/db"))) {
    return "Not measured yet: virtual keys and spend logs live in Postgres once the database work (`src/db`) lands; this section is where the benchmark will add 100,000 keys and 1,000,000 spend rows.";
  }
  return "`src/db` exists but the benchmark does not seed it yet: add the key and spend-row scenarios to scripts/bench/ (see config-scale.ts for the pattern).";
}

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
