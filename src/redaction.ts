import type { GatewayConfig } from "./config/index.ts";
import type { Deployment } from "./router/deployment.ts";

/** Shorter values are not treated as secrets: too likely to occur in ordinary text ("none", "EMPTY"). */
export const MIN_SECRET_LENGTH = 8;

/** Field names whose string values are credentials (in config sections, litellm_params, credential values, env names). */
const SECRET_FIELD = /api[_-]?key|master_key|salt_key|subscription[_-]key|secret|password|passwd|credential|private_key|access_key|session_token|ad_token|bearer|authorization|(^|_)token$|^token/i;
/** ... unless the name says the value is about a credential rather than one. */
const NOT_SECRET_FIELD = /(_name|_alias|_type|_header|_path|_file|_dir|_directory|_ttl|_limit|_duration)$/i;

const isSecretField = (name: string) => SECRET_FIELD.test(name) && !NOT_SECRET_FIELD.test(name);

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** What replaces a secret: its first characters when it is long enough that they give nothing away (`sk-***`). */
export function maskSecret(secret: string): string {
  return secret.length >= 16 ? `${secret.slice(0, 3)}***` : "***";
}

/**
 * Every credential the gateway holds, by where it came from (the config, the deployments including
 * database models, the vault, credential chains), replaced wherever it would leave the gateway in
 * an error message or a log line. Matching is one precompiled regular expression, built when a
 * source changes and used only on those error and log paths.
 */
export class SecretRedactor {
  private readonly sources = new Map<string, Set<string>>();
  private pattern: RegExp | null | undefined = null;
  /** Changes whenever the set does (the logging worker is sent the values again). */
  version = 0;

  /** Replaces what `source` contributes. */
  set(source: string, values: Iterable<string | null | undefined>): void {
    const next = new Set<string>();
    for (const v of values) if (typeof v === "string" && v.length >= MIN_SECRET_LENGTH) for (const form of forms(v)) next.add(form);
    const prev = this.sources.get(source);
    if (prev && prev.size === next.size && [...next].every((v) => prev.has(v))) return;
    if (next.size) this.sources.set(source, next);
    else this.sources.delete(source);
    this.pattern = undefined;
    this.version++;
  }

  /** Every secret in every form (raw, JSON-escaped, percent-encoded). */
  values(): string[] {
    const all = new Set<string>();
    for (const s of this.sources.values()) for (const v of s) all.add(v);
    return [...all];
  }

  redact(text: string): string {
    if (this.pattern === undefined) this.pattern = compile(this.sources);
    if (!this.pattern || !text) return text;
    return text.replace(this.pattern, maskSecret);
  }

  get size(): number {
    let n = 0;
    for (const s of this.sources.values()) n += s.size;
    return n;
  }
}

/** A secret as it appears raw, inside a JSON string, and percent-encoded in a URL. */
function forms(v: string): string[] {
  const out = [v];
  const json = JSON.stringify(v).slice(1, -1);
  if (json !== v) out.push(json);
  const url = encodeURIComponent(v);
  if (url !== v) out.push(url);
  return out;
}

function compile(sources: Map<string, Set<string>>): RegExp | null {
  const all = new Set<string>();
  for (const s of sources.values()) for (const v of s) all.add(v);
  if (!all.size) return null;
  return new RegExp([...all].sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "g");
}

/** The password of a connection URL (`postgres://user:pw@host/db`, `redis://:pw@host`). */
function urlPassword(v: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/@]*:([^/@]+)@/i.exec(v);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/**
 * Credentials inside a structure: string values under secret-looking field names (a JSON string
 * such as `vertex_credentials` is searched inside too: its `private_key`, `client_secret`, ...),
 * and the passwords of connection URLs anywhere.
 */
export function secretsIn(value: unknown, out: string[] = [], secretField = false, depth = 0): string[] {
  if (depth > 8 || value === null || value === undefined) return out;
  if (typeof value === "string") {
    const pw = urlPassword(value);
    if (pw) out.push(pw);
    if (!secretField) return out;
    out.push(value);
    if (value.startsWith("{")) {
      try {
        secretsIn(JSON.parse(value), out, false, depth + 1);
      } catch {
        /* not JSON */
      }
    }
    return out;
  }
  if (Array.isArray(value)) {
    for (const v of value) secretsIn(v, out, secretField, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) secretsIn(v, out, false, depth + 1);
  } else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) secretsIn(v, out, isSecretField(k.startsWith("env:") ? k.slice(4) : k), depth + 1);
  }
  return out;
}

/** An endpoint as the gateway shows it (response headers, spend rows): without its query and user info. */
export function publicApiBase(url: string): string {
  const q = url.indexOf("?");
  const base = q < 0 ? url : url.slice(0, q);
  const at = base.indexOf("@");
  if (at < 0) return base;
  const scheme = base.indexOf("://");
  return scheme >= 0 && scheme < at && !base.slice(scheme + 3, at).includes("/") ? base.slice(0, scheme + 3) + base.slice(at + 1) : base;
}

const ERROR_KEY = Buffer.from('"error"');
const indexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: Uint8Array) => number;
const TYPE_BEFORE = /"type"\s*:\s*$/;

/** `"error"` as a key whose value is an object or a message, or as `"type": "error"` (not `"error": null`). */
function isErrorToken(buf: Buffer, at: number): boolean {
  let j = at + ERROR_KEY.length;
  while (buf[j] === 0x20) j++;
  if (buf[j] === 0x3a) {
    j++;
    while (buf[j] === 0x20) j++;
    if (buf[j] === 0x7b || buf[j] === 0x22) return true;
  }
  return TYPE_BEFORE.test(buf.toString("latin1", Math.max(0, at - 12), at));
}

/**
 * A chunk of a stream on its way to the client, with the credentials in its error events masked:
 * the upstream's own mid-stream errors (OpenAI `{"error": {…}}`, Anthropic and Responses
 * `"type": "error"`) and the ones the gateway translates from them. Other chunks cost one byte
 * search and are returned as they are.
 */
export function redactStreamChunk(chunk: Uint8Array): Uint8Array {
  if (indexOf.call(chunk, ERROR_KEY) < 0) return chunk;
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let at = buf.indexOf(ERROR_KEY);
  while (at >= 0 && !isErrorToken(buf, at)) at = buf.indexOf(ERROR_KEY, at + ERROR_KEY.length);
  if (at < 0 || !secrets.size) return chunk;
  const text = buf.toString("utf8");
  const masked = secrets.redact(text);
  return masked === text ? chunk : Buffer.from(masked);
}

/** The process-wide set: config and deployments at every runtime build, the vault and credential chains as they learn values. */
export const secrets = new SecretRedactor();

/**
 * At every runtime build (boot, reload, database models changed): the config's credentials and every
 * deployment's. An agent's `secrets` names vault entries (their values join when a run reads them).
 */
export function learnConfigSecrets(config: GatewayConfig, deployments: Deployment[]): void {
  secrets.set(
    "config",
    secretsIn({
      master_key: config.masterKey,
      salt_key: config.saltKey,
      database_url: config.databaseUrl,
      redis_url: config.redisUrl,
      general_settings: config.general,
      litellm_settings: config.litellm,
      router_settings: config.router,
      credential_list: config.credentials,
      agents: config.agents.map(({ secrets: _names, ...agent }) => agent),
      env: config.env,
    }),
  );
  secrets.set("deployments", deployments.flatMap((d) => secretsIn({ api_key: d.target.apiKey, litellm_params: d.target.params, extra_headers: d.target.extraHeaders })));
}
