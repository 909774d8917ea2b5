import type { KeyRecord } from "../auth/key-record.ts";
import { decryptValue } from "../db/secrets.ts";
import type { LLMRequest } from "../gateway/types.ts";
import type { EventFilter } from "./settings.ts";

type Obj = Record<string, unknown>;

/** A key's or team's own logging: extra callbacks for its calls and the credentials they use. */
export interface DynamicLogging {
  callbacks: Map<string, EventFilter>;
  /** `callback_vars`: `langfuse_public_key`, `langfuse_secret_key`, `langfuse_host`, `gcs_bucket_name`, `turn_off_message_logging`, ... */
  vars: Record<string, string>;
}

export interface DynamicContext {
  env: Readonly<Record<string, string | undefined>>;
  /** LiteLLM encrypts `callback_vars` at rest with the salt key (or the master key). */
  signingKey?: string;
  /** `litellm_settings.default_team_settings`. */
  teamSettings: ReadonlyArray<Record<string, unknown>>;
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const names = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").map((x) => x.toLowerCase()) : []);

function resolveVar(v: unknown, ctx: DynamicContext): string | undefined {
  if (v === null || v === undefined) return undefined;
  let s = typeof v === "string" ? v : String(v);
  if (ctx.signingKey && s.length >= 24) s = decryptValue(s, ctx.signingKey) ?? s;
  if (s.startsWith("os.environ/")) return ctx.env[s.slice("os.environ/".length)];
  return s;
}

function add(out: DynamicLogging, name: string, f: Partial<EventFilter>): void {
  const cur = out.callbacks.get(name) ?? { success: false, failure: false };
  out.callbacks.set(name, { success: cur.success || !!f.success, failure: cur.failure || !!f.failure });
}

/** `metadata.logging: [{callback_name, callback_type, callback_vars}]` as LiteLLM's `AddTeamCallback` list. */
function fromLoggingList(list: unknown, ctx: DynamicContext): DynamicLogging | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: DynamicLogging = { callbacks: new Map(), vars: {} };
  for (const item of list) {
    if (!isObj(item) || typeof item.callback_name !== "string") continue;
    const type = typeof item.callback_type === "string" ? item.callback_type : "success_and_failure";
    add(out, item.callback_name.toLowerCase(), { success: type !== "failure", failure: type !== "success" });
    if (isObj(item.callback_vars)) {
      for (const [k, v] of Object.entries(item.callback_vars)) {
        const r = resolveVar(v, ctx);
        if (r !== undefined) out.vars[k] = r;
      }
    }
  }
  return out;
}

/** The deprecated team `callback_settings` and config `default_team_settings` entries: callbacks plus flat credentials. */
function fromFlatSettings(s: Obj, ctx: DynamicContext): DynamicLogging {
  const out: DynamicLogging = { callbacks: new Map(), vars: {} };
  for (const n of names(s.success_callback)) add(out, n, { success: true });
  for (const n of names(s.failure_callback)) add(out, n, { failure: true });
  for (const n of names(s.callbacks)) add(out, n, { success: true, failure: true });
  const vars = isObj(s.callback_vars) ? s.callback_vars : s;
  for (const [k, v] of Object.entries(vars)) {
    if (["team_id", "success_callback", "failure_callback", "callbacks", "callback_vars"].includes(k)) continue;
    const r = resolveVar(v, ctx);
    if (r !== undefined) out.vars[k] = r;
  }
  return out;
}

/**
 * LiteLLM's `_get_dynamic_logging_metadata`: the key's `metadata.logging`, else the team's, else the
 * team's deprecated `callback_settings`, else the team's entry in `default_team_settings`.
 */
export function dynamicLogging(req: LLMRequest, ctx: DynamicContext): DynamicLogging | undefined {
  const key = req.auth.key as KeyRecord | undefined;
  const keyLogging = fromLoggingList(key?.metadata.logging, ctx);
  if (keyLogging) return keyLogging;
  const team = key?.team?.metadata;
  const teamLogging = fromLoggingList(team?.logging, ctx);
  if (teamLogging) return teamLogging;
  if (team && isObj(team.callback_settings)) return fromFlatSettings(team.callback_settings, ctx);
  const teamId = req.auth.teamId;
  if (!teamId) return undefined;
  const fromConfig = ctx.teamSettings.find((t) => t.team_id === teamId);
  return fromConfig ? fromFlatSettings(fromConfig as Obj, ctx) : undefined;
}

/** Callbacks switched off for this call: `x-litellm-disable-callbacks` and the `litellm_disabled_callbacks` var. */
export function disabledCallbacks(req: LLMRequest, dyn?: DynamicLogging): Set<string> {
  const out = new Set<string>();
  for (const src of [req.headers.get("x-litellm-disable-callbacks"), dyn?.vars.litellm_disabled_callbacks]) {
    for (const m of (src ?? "").toLowerCase().matchAll(/[a-z0-9_]+/g)) out.add(m[0]);
  }
  return out;
}

export const truthy = (v: string | undefined) => v !== undefined && /^(true|1|yes)$/i.test(v);
