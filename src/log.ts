import { secrets } from "./redaction.ts";

export type Level = "debug" | "info" | "warn" | "error";

const SECRET_FIELD = /(key|token|secret|password|authorization)/i;
const SECRET_HEADER = /^(authorization|x-api-key|api-key|x-litellm-api-key|x-goog-api-key|ocp-apim-subscription-key|cookie|proxy-authorization)$/i;

/** Header values a trace may print: credentials replaced by their last 4 characters. */
export function redactHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = SECRET_HEADER.test(k) ? `[redacted …${v.slice(-4)}]` : v;
  return out;
}

/** Drops values of secret-looking fields from structured log data. */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k) && typeof v === "string" && !k.endsWith("_alias") && !k.endsWith("_hash")) out[k] = "[redacted]";
    else out[k] = v;
  }
  return out;
}

/** Start-up notes and request logs; JSON lines with `json_logs: true` / `JSON_LOGS=1`. Never prints secrets (see `redaction.ts`). */
export class Logger {
  constructor(
    private readonly json = false,
    readonly debugEnabled = false,
    private readonly out: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
    /** `--detailed_debug`: per-request upstream traces, secrets redacted. */
    readonly traceEnabled = false,
  ) {}

  /** Every line, whatever it holds, has the gateway's configured credentials masked. */
  private write(line: string): void {
    this.out(secrets.redact(line));
  }

  log(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (level === "debug" && !this.debugEnabled) return;
    const safe = fields ? redact(fields) : undefined;
    if (this.json) {
      this.write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...safe }));
      return;
    }
    const extra = safe && Object.keys(safe).length ? ` ${Object.entries(safe).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")}` : "";
    this.write(`litellm-rust ${level.toUpperCase()}: ${msg}${extra}`);
  }

  debug(msg: string, fields?: Record<string, unknown>) {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>) {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>) {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>) {
    this.log("error", msg, fields);
  }
}
