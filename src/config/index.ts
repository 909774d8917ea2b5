import * as v from "valibot";
import { resolve } from "node:path";
import { ConfigError } from "./error.ts";
import { readConfigFile, type EnvRef } from "./read.ts";
import {
  ConfigSchema,
  describeIssue,
  formatIssuePath,
  type AgentEntry,
  type CallbackSettingsInput,
  type GeneralSettings,
  type LitellmSettings,
  type ModelEntry,
  type RouterSettings as RouterSettingsInput,
} from "./schema.ts";
import { unimplementedKeys } from "./unimplemented.ts";

export { ConfigError } from "./error.ts";

/** The validated config, read once at boot (and again on reload). Nothing else reads YAML or env. */
export interface GatewayConfig {
  file: string;
  modelList: ModelEntry[];
  litellm: LitellmSettings;
  router: RouterSettingsInput;
  general: GeneralSettings;
  agents: AgentEntry[];
  /** Top-level `callback_settings`: named generic API loggers. */
  callbackSettings: CallbackSettingsInput;
  credentials: Map<string, Record<string, unknown>>;
  /** LiteLLM's `default_vertex_config`: the project, location and credentials `/vertex_ai/*` pass-through uses. */
  defaultVertexConfig?: Record<string, unknown>;
  /** LiteLLM's `files_settings`: per-provider credentials for `/v1/files` and `/v1/batches`. */
  filesSettings: Array<Record<string, unknown>>;
  masterKey?: string;
  databaseUrl?: string;
  redisUrl?: string;
  saltKey?: string;
  jsonLogs: boolean;
  /** A snapshot of the environment taken at boot, for provider defaults (OPENAI_API_KEY, ...). */
  env: Readonly<Record<string, string | undefined>>;
  /** One-line notes for the start-up log. */
  notes: string[];
  missingEnv: EnvRef[];
  /** Problems the config loads despite, for the start-up log (repeated YAML keys). */
  warnings: string[];
}

const PYTHON_ONLY_GENERAL = ["custom_auth", "custom_key_generate", "custom_sso"];

export function loadConfig(file: string | undefined, env: Record<string, string | undefined> = process.env): GatewayConfig {
  let raw: Record<string, unknown> = {};
  let missingEnv: EnvRef[] = [];
  let warnings: string[] = [];
  const abs = file ? resolve(file) : "(no config file)";
  if (file) {
    const r = readConfigFile(file, env);
    raw = r.raw;
    missingEnv = r.missingEnv;
    warnings = r.warnings;
  }
  const parsed = v.safeParse(ConfigSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = formatIssuePath(issue.path);
    const { expected, received } = describeIssue(issue);
    throw new ConfigError(abs, path || "(top level)", expected, received);
  }
  const c = parsed.output;
  const general = (c.general_settings ?? {}) as GeneralSettings;
  const litellm = (c.litellm_settings ?? {}) as LitellmSettings;
  const router = (c.router_settings ?? {}) as RouterSettingsInput;

  const notes: string[] = [];
  const unknown = unimplementedKeys(raw);
  if (unknown.length) notes.push(`config keys accepted but not implemented yet (ignored): ${unknown.join(", ")}`);
  const pyOnly = PYTHON_ONLY_GENERAL.filter((k) => (general as Record<string, unknown>)[k] !== undefined);
  if (pyOnly.length) notes.push(`general_settings.${pyOnly.join(", general_settings.")} name Python code and cannot run here`);

  const credentials = new Map<string, Record<string, unknown>>();
  for (const cred of c.credential_list ?? []) credentials.set(cred.credential_name, cred.credential_values);

  const redisUrl =
    router.redis_url ??
    (router.redis_host
      ? `redis://${router.redis_password ? `:${encodeURIComponent(router.redis_password)}@` : ""}${router.redis_host}:${router.redis_port ?? 6379}`
      : env.REDIS_URL ??
        (env.REDIS_HOST
          ? `redis://${env.REDIS_PASSWORD ? `:${encodeURIComponent(env.REDIS_PASSWORD)}@` : ""}${env.REDIS_HOST}:${env.REDIS_PORT ?? 6379}`
          : undefined));

  return {
    file: abs,
    modelList: c.model_list ?? [],
    litellm,
    router,
    general,
    agents: c.agents ?? [],
    callbackSettings: c.callback_settings ?? {},
    credentials,
    defaultVertexConfig: c.default_vertex_config ?? undefined,
    filesSettings: c.files_settings ?? [],
    masterKey: general.master_key ?? env.LITELLM_MASTER_KEY ?? undefined,
    databaseUrl: general.database_url ?? env.DATABASE_URL ?? undefined,
    redisUrl: redisUrl ?? undefined,
    saltKey: env.LITELLM_SALT_KEY || undefined,
    jsonLogs: litellm.json_logs ?? /^(1|true)$/i.test(env.JSON_LOGS ?? ""),
    env: { ...env },
    notes,
    missingEnv,
    warnings,
  };
}
