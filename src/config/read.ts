import { readFileSync, existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isMap, isScalar, isSeq, parseDocument, YAMLParseError, type Node } from "yaml";
import { ConfigError } from "./error.ts";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type RawConfig = Record<string, unknown>;

const ENV_PREFIX = "os.environ/";
const MAX_DEPTH = 100;

/** Key paths repeated within one mapping, as PyYAML loads them: the last value wins. */
function duplicateKeys(node: unknown, path: string, out: string[]): void {
  if (isSeq(node)) node.items.forEach((item, i) => duplicateKeys(item, `${path}[${i}]`, out));
  if (!isMap(node)) return;
  const seen = new Set<string>();
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const p = path ? `${path}.${key}` : key;
    if (seen.has(key) && key !== "<<") out.push(p);
    seen.add(key);
    duplicateKeys(pair.value as Node, p, out);
  }
}

function readYamlFile(file: string, warnings: string[] = []): unknown {
  if (!existsSync(file)) throw new ConfigError(file, "", "the file to exist", "no such file");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(file, "", "a readable file", (e as Error).message);
  }
  try {
    const doc = parseDocument(text, { merge: true, uniqueKeys: false });
    const err = doc.errors[0];
    if (err) throw err;
    const dups: string[] = [];
    duplicateKeys(doc.contents, "", dups);
    for (const d of [...new Set(dups)]) warnings.push(`${file}: key ${d} appears more than once in one mapping; the last one is used (as PyYAML does)`);
    return doc.toJS();
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const pos = e.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}` : "";
      throw new ConfigError(file, where, "valid YAML", e.message.split("\n")[0] ?? "parse error");
    }
    throw e;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** LiteLLM's include merge: lists extend, everything else overwrites. */
function mergeInclude(base: RawConfig, extra: RawConfig): void {
  for (const [k, v] of Object.entries(extra)) {
    const cur = base[k];
    if (Array.isArray(cur) && Array.isArray(v)) cur.push(...v);
    else base[k] = v;
  }
}

export interface EnvRef {
  path: string;
  name: string;
}

/**
 * Replaces `os.environ/NAME` string values in dicts and in dicts nested inside lists,
 * as LiteLLM's `_check_for_os_environ_vars` does. Bare strings directly inside lists stay as they are.
 */
export function resolveEnvRefs(
  node: unknown,
  env: Record<string, string | undefined>,
  missing: EnvRef[],
  path = "",
  depth = 0,
): unknown {
  if (depth > MAX_DEPTH) return node;
  if (Array.isArray(node)) {
    return node.map((item, i) =>
      isPlainObject(item) ? resolveEnvRefs(item, env, missing, `${path}[${i}]`, depth + 1) : item,
    );
  }
  if (!isPlainObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    const p = path ? `${path}.${k}` : k;
    if (typeof v === "string" && v.startsWith(ENV_PREFIX)) {
      const name = v.slice(ENV_PREFIX.length);
      const value = env[name];
      if (value === undefined || value === "") missing.push({ path: p, name });
      out[k] = value === "" ? undefined : value;
    } else if (isPlainObject(v) || Array.isArray(v)) {
      out[k] = resolveEnvRefs(v, env, missing, p, depth + 1);
    } else {
      out[k] = v;
    }
  }
  return out;
}

export interface ReadResult {
  raw: RawConfig;
  missingEnv: EnvRef[];
  exportedEnv: string[];
  /** Problems the file loads despite (repeated keys). */
  warnings: string[];
}

/**
 * Reads the YAML, merges `include:` files, exports `environment_variables`, then resolves
 * `os.environ/` references. This is the only place the process environment is written.
 */
export function readConfigFile(file: string, env: Record<string, string | undefined> = process.env): ReadResult {
  const abs = resolve(file);
  const warnings: string[] = [];
  const parsed = readYamlFile(abs, warnings);
  if (parsed === null || parsed === undefined) {
    throw new ConfigError(abs, "", "a YAML mapping", "an empty file (Config cannot be None or Empty.)");
  }
  if (!isPlainObject(parsed)) throw new ConfigError(abs, "", "a YAML mapping at the top level", typeof parsed);
  const raw: RawConfig = parsed;

  const include = raw.include;
  if (include !== undefined) {
    if (!Array.isArray(include)) throw new ConfigError(abs, "include", "a list of file paths", typeof include);
    include.forEach((entry, i) => {
      if (typeof entry !== "string") throw new ConfigError(abs, `include[${i}]`, "a file path", typeof entry);
      const incPath = resolve(dirname(abs), entry);
      if (!existsSync(incPath)) throw new ConfigError(abs, `include[${i}]`, "an existing file", `${incPath} not found`);
      const inc = readYamlFile(incPath, warnings);
      if (inc === null || inc === undefined) return;
      if (!isPlainObject(inc)) throw new ConfigError(incPath, "", "a YAML mapping at the top level", typeof inc);
      mergeInclude(raw, inc);
    });
    delete raw.include;
  }

  const missingEnv: EnvRef[] = [];
  const exportedEnv: string[] = [];
  const ev = raw.environment_variables;
  if (ev !== undefined && ev !== null) {
    if (!isPlainObject(ev)) throw new ConfigError(abs, "environment_variables", "a mapping of NAME: value", typeof ev);
    const resolved = resolveEnvRefs(ev, env, missingEnv, "environment_variables") as Record<string, unknown>;
    for (const [k, v] of Object.entries(resolved)) {
      if (v === undefined || v === null) continue;
      if (typeof v === "object") {
        throw new ConfigError(abs, `environment_variables.${k}`, "a string, number or boolean", "an object");
      }
      env[k] = String(v);
      exportedEnv.push(k);
    }
  }

  const resolvedRaw = resolveEnvRefs(raw, env, missingEnv) as RawConfig;
  return { raw: resolvedRaw, missingEnv, exportedEnv, warnings };
}
