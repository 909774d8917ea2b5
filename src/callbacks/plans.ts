import type { GatewayConfig } from "../config/index.ts";
import { datadogOptions, type DatadogOptions } from "./datadog.ts";
import { genericApiOptions, type GenericApiOptions } from "./generic-api.ts";
import { otelOptions, type OtelOptions } from "./otel/sink.ts";
import { s3Params } from "./s3.ts";
import { callbackNames, type EventFilter } from "./settings.ts";

/** One sink to start, as plain data (it crosses into the logging worker). */
export type SinkPlan =
  | { kind: "otel"; filter: EventFilter; options: OtelOptions }
  | { kind: "langfuse"; filter: EventFilter; defaultTags?: string[] }
  | { kind: "s3"; filter: EventFilter; params: Record<string, unknown> }
  | { kind: "gcs_bucket"; filter: EventFilter }
  | { kind: "datadog"; filter: EventFilter; options: DatadogOptions }
  | { kind: "generic_api"; filter: EventFilter; options: GenericApiOptions };

export interface Plans {
  plans: SinkPlan[];
  notes: string[];
  /** At least one sink gets calls from the global settings (not only from keys' and teams' own logging). */
  global: boolean;
}

const NONE: EventFilter = { success: false, failure: false };

/**
 * What the config asks for: the sinks to start with their settings read (LiteLLM's callback names,
 * env vars and settings keys), and start-up notes for what cannot run. With a database, Langfuse
 * and GCS sinks also start idle, for keys and teams that name their own project or bucket.
 */
export function planSinks(config: GatewayConfig, hasDatabase: boolean): Plans {
  const env = config.env;
  const l = config.litellm;
  const names = callbackNames(config);
  const notes: string[] = [];
  if (names.notRun.length) notes.push(`litellm_settings callbacks not run by this gateway: ${names.notRun.join(", ")}`);
  const contentOff = l.turn_off_message_logging === true;
  const plans: SinkPlan[] = [];
  const add = (p: SinkPlan | string) => (typeof p === "string" ? notes.push(`logging callback not started: ${p}`) : plans.push(p));
  for (const [name, filter] of names.enabled) {
    switch (name) {
      case "otel": {
        const o = otelOptions(env, contentOff);
        add(typeof o === "string" ? o : { kind: "otel", filter, options: o });
        break;
      }
      case "langfuse":
        if (!env.LANGFUSE_PUBLIC_KEY || !env.LANGFUSE_SECRET_KEY) notes.push("langfuse: LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY not set; only calls of keys and teams with their own Langfuse credentials are logged");
        add({ kind: "langfuse", filter, defaultTags: l.langfuse_default_tags ?? undefined });
        break;
      case "s3": {
        const p = s3Params(config);
        add(typeof p === "string" ? p : { kind: "s3", filter, params: p });
        break;
      }
      case "gcs_bucket":
        if (!env.GCS_BUCKET_NAME) notes.push("gcs_bucket: GCS_BUCKET_NAME not set; only calls of keys and teams with their own gcs_bucket_name are logged");
        add({ kind: "gcs_bucket", filter });
        break;
      case "datadog": {
        const o = datadogOptions(env);
        add(typeof o === "string" ? o : { kind: "datadog", filter, options: o });
        break;
      }
      default: {
        const o = genericApiOptions(name, filter, config);
        add(typeof o === "string" ? o : { kind: "generic_api", filter: o.filter, options: o });
      }
    }
  }
  if (plans.length) notes.push(`logging callbacks: ${plans.map((p) => (p.kind === "generic_api" ? p.options.name : p.kind)).join(", ")}`);
  const global = plans.length > 0;
  if (hasDatabase && !names.enabled.has("langfuse")) plans.push({ kind: "langfuse", filter: NONE, defaultTags: l.langfuse_default_tags ?? undefined });
  if (hasDatabase && !names.enabled.has("gcs_bucket")) plans.push({ kind: "gcs_bucket", filter: NONE });
  return { plans, notes, global };
}

/** Sinks whose payloads carry the prompt and the answer (the attempt hook then keeps the answer). */
export function logsContent(p: SinkPlan): boolean {
  return p.kind === "otel" ? p.options.withContent : true;
}
