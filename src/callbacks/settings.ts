import type { GatewayConfig } from "../config/index.ts";

export type EventKind = "success" | "failure";

/** Which finished calls a callback gets: `callbacks` = both, `success_callback` / `failure_callback` = one. */
export interface EventFilter {
  success: boolean;
  failure: boolean;
}

/** Callback names this gateway runs, as LiteLLM spells them, and the sink that serves each. */
const BUILT_IN: Record<string, string> = {
  otel: "otel",
  langfuse: "langfuse",
  s3: "s3",
  s3_v2: "s3",
  gcs_bucket: "gcs_bucket",
  datadog: "datadog",
  generic_api: "generic_api",
  // `/metrics` always serves LiteLLM's Prometheus series.
  prometheus: "prometheus",
};

const list = (x: unknown): string[] =>
  (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]).filter((v): v is string => typeof v === "string" && v !== "").map((v) => v.toLowerCase());

export interface CallbackNames {
  /** sink name (`otel`, `langfuse`, `s3`, ..., or a `callback_settings` generic logger's own name) → calls it gets */
  enabled: Map<string, EventFilter>;
  /** Named in the config but not run here. */
  notRun: string[];
}

/** The sink a callback name selects: a built-in, a `callback_settings` entry of `callback_type: generic_api`, or none. */
export function sinkOf(name: string, config: GatewayConfig): string | undefined {
  const n = name.toLowerCase();
  const custom = config.callbackSettings[n] ?? config.callbackSettings[name];
  if (custom && (custom.callback_type ?? "generic_api") === "generic_api") return n;
  return BUILT_IN[n];
}

/** Reads `litellm_settings.callbacks`, `success_callback`, `failure_callback` and `service_callback`. */
export function callbackNames(config: GatewayConfig): CallbackNames {
  const l = config.litellm;
  const enabled = new Map<string, EventFilter>();
  const notRun = new Set<string>();
  const add = (names: string[], f: Partial<EventFilter>) => {
    for (const name of names) {
      const sink = sinkOf(name, config);
      if (!sink) {
        notRun.add(name);
        continue;
      }
      const cur = enabled.get(sink) ?? { success: false, failure: false };
      enabled.set(sink, { success: cur.success || !!f.success, failure: cur.failure || !!f.failure });
    }
  };
  add(list(l.callbacks), { success: true, failure: true });
  add(list(l.success_callback), { success: true });
  add(list(l.failure_callback), { failure: true });
  for (const s of list(l.service_callback)) if (s !== "prometheus_system") notRun.add(`${s} (service_callback)`);
  enabled.delete("prometheus");
  return { enabled, notRun: [...notRun] };
}

/** A positive number from an env var, else the default. */
const positive = (v: string | undefined, d: number) => {
  const n = Number(v);
  return v !== undefined && v !== "" && Number.isFinite(n) && n > 0 ? n : d;
};
const count = (v: string | undefined, d: number) => Math.max(1, Math.floor(positive(v, d)));

/** LiteLLM's batch logger defaults (`litellm/constants.py`), read from the same env vars. */
export function batchDefaults(env: Readonly<Record<string, string | undefined>>) {
  return {
    flushMs: positive(env.DEFAULT_FLUSH_INTERVAL_SECONDS, 5) * 1000,
    batchSize: count(env.DEFAULT_BATCH_SIZE, 512),
    s3FlushMs: positive(env.DEFAULT_S3_FLUSH_INTERVAL_SECONDS, 10) * 1000,
    s3BatchSize: count(env.DEFAULT_S3_BATCH_SIZE, 512),
  };
}

export const envNumber = positive;
export const envCount = count;
