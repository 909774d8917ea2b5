import { readFileSync } from "node:fs";

export type IniSections = Map<string, Record<string, string>>;

/** The AWS shared-config INI dialect: `[section]`, `key = value`, `#`/`;` comments. */
export function parseIni(text: string): IniSections {
  const out: IniSections = new Map();
  let cur: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const sec = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (sec) {
      cur = out.get(sec[1]!) ?? {};
      out.set(sec[1]!, cur);
      continue;
    }
    const eq = line.indexOf("=");
    if (cur && eq > 0) cur[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return out;
}

const files = new Map<string, IniSections>();

/** A file's sections (read once per process), or an empty map when it does not exist. */
export function readIni(path: string): IniSections {
  let hit = files.get(path);
  if (!hit) {
    try {
      hit = parseIni(readFileSync(path, "utf8"));
    } catch {
      hit = new Map();
    }
    files.set(path, hit);
  }
  return hit;
}
