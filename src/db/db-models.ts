import * as v from "valibot";
import type { GatewayConfig } from "../config/index.ts";
import { ModelEntrySchema, type ModelEntry } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import { buildDeployments, type Deployment } from "../router/deployment.ts";
import { obj, str } from "../auth/key-record.ts";
import type { Database } from "./client.ts";
import { selectRows } from "./rows.ts";
import { decryptParams } from "./secrets.ts";

/** `store_model_in_db` (general_settings, or env STORE_MODEL_IN_DB read at boot by the config). */
export function storeModelInDb(config: GatewayConfig): boolean {
  return config.general.store_model_in_db === true || /^true$/i.test(config.env.STORE_MODEL_IN_DB ?? "");
}

/**
 * Models added through LiteLLM's API (`LiteLLM_ProxyModelTable`): every `litellm_params` value is
 * decrypted with LITELLM_SALT_KEY (else the master key), and the model joins the config's list
 * flagged `model_info.db_model = true`.
 */
export async function loadDbModels(db: Database, config: GatewayConfig, log: Logger): Promise<Deployment[]> {
  if (!db.ready || !db.schema.hasTable("LiteLLM_ProxyModelTable")) return [];
  const rows = await db.run((sql) => selectRows(sql, "LiteLLM_ProxyModelTable", {}, "ORDER BY created_at"));
  const key = config.saltKey ?? config.masterKey;
  const entries: ModelEntry[] = [];
  for (const r of rows) {
    if (r.blocked === true) continue;
    const params = decryptParams(obj(r.litellm_params), key);
    const candidate = {
      model_name: str(r.model_name),
      litellm_params: params,
      model_info: { ...obj(r.model_info), id: str(r.model_id), db_model: true },
    };
    const parsed = v.safeParse(ModelEntrySchema, candidate);
    if (!parsed.success) {
      log.warn(`database model ${candidate.model_name ?? r.model_id} skipped: litellm_params unreadable (is LITELLM_SALT_KEY the one LiteLLM used?)`);
      continue;
    }
    entries.push(parsed.output);
  }
  const built = buildDeployments(entries, config.env, config.credentials);
  for (const w of built.warnings) log.warn(`database model: ${w}`);
  if (built.deployments.length) log.info(`${built.deployments.length} models loaded from LiteLLM_ProxyModelTable`);
  return built.deployments;
}
