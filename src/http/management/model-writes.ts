import type { Hono } from "hono";
import * as v from "valibot";
import { obj, str, type Row } from "../../auth/key-record.ts";
import { ModelEntrySchema } from "../../config/schema.ts";
import { encryptParams, findDbModel, MODEL_TABLE, updateDbModel } from "../../db/db-model-store.ts";
import { storeModelInDb } from "../../db/db-models.ts";
import { insertRow } from "../../db/rows.ts";
import { decryptParams } from "../../db/secrets.ts";
import type { DbServices } from "../../db/services.ts";
import { GatewayError } from "../../errors.ts";
import { buildDeployments } from "../../router/deployment.ts";
import { unusableReason } from "../../providers/unsupported.ts";
import type { Runtime } from "../../runtime.ts";
import { isAdmin, route, type Mgmt } from "./context.ts";
import {
  authorizeModelWrite,
  checkCredentialSources,
  checkModelEndpoints,
  checkOwnCredential,
  checkPrivilegedModelFields,
  detailError,
  movesOrReauthenticates,
  proxyError,
  stripCredentialsOnNewDestination,
  teamOfModel,
} from "./model-access.ts";
import { addTeamModel, internalTeamModelName, removeTeamModel } from "./team-models.ts";

const NOT_ENABLED = "Set `'STORE_MODEL_IN_DB='True'` in your env to enable this feature.";

const signingKey = (m: Mgmt) => m.dbs.config.saltKey ?? m.dbs.config.masterKey;
const actor = (m: Mgmt) => m.auth.userId ?? "default_user_id";

function requireStoreInDb(m: Mgmt): void {
  if (!storeModelInDb(m.dbs.config) || !m.dbs.db.schema.hasTable(MODEL_TABLE)) throw detailError(500, NOT_ENABLED);
}

/** The plaintext entry must be a model this gateway can serve, before anything is written. */
function validateEntry(m: Mgmt, entry: Row): void {
  const parsed = v.safeParse(ModelEntrySchema, entry);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((p) => p.key).join(".") ?? "body";
    throw new GatewayError(422, `${path}: ${issue.message}`, { type: "bad_request_error", param: path });
  }
  const built = buildDeployments([parsed.output], m.dbs.config.env, m.dbs.config.credentials);
  const d = built.deployments[0];
  const unusable = d && unusableReason(d.provider);
  if (!d || unusable) throw new GatewayError(400, unusable ?? built.warnings[0] ?? "model not supported", { type: "bad_request_error", param: "litellm_params.model" });
}

/** `litellm_params` without `None` values, as LiteLLM's pydantic models drop them. */
function params(v: unknown): Row {
  const out: Row = {};
  for (const [k, x] of Object.entries(obj(v))) if (x !== null && x !== undefined) out[k] = x;
  return out;
}

/** A model a non-admin points somewhere or gives credentials to uses only those: no provider env vars. */
const ownCredentialsOnly = (m: Mgmt): Row => (isAdmin(m.auth) ? {} : { own_credentials_only: true });

const inRouter = (m: Mgmt, id: string) => m.rt.router.groups.allDeployments().some((d) => d.id === id);

/**
 * `/model/new`. A team model (`model_info.team_id`, by a proxy admin or the team's admin) is stored
 * under a unique name with `model_info.team_public_model_name`, and the team's keys reach it by the
 * public name, as LiteLLM's `_add_team_model_to_db` does.
 */
async function addModel(m: Mgmt): Promise<Row> {
  const info = obj(m.body.model_info);
  const teamId = teamOfModel(info);
  await authorizeModelWrite(m, teamId);
  const litellmParams = params(m.body.litellm_params);
  checkPrivilegedModelFields(m, litellmParams, info);
  checkCredentialSources(m, litellmParams);
  checkOwnCredential(m, litellmParams, teamId);
  await checkModelEndpoints(m, litellmParams);
  requireStoreInDb(m);
  const modelId = str(info.id) ?? crypto.randomUUID();
  const publicName = str(m.body.model_name);
  const modelName = teamId && publicName ? internalTeamModelName(teamId) : publicName;
  const modelInfo = { ...info, id: modelId, ...(teamId && publicName ? { team_public_model_name: publicName } : {}), ...ownCredentialsOnly(m) };
  const entry = { model_name: modelName, litellm_params: litellmParams, model_info: modelInfo };
  validateEntry(m, { ...entry, model_name: m.body.model_name });
  if (await findDbModel(m.dbs.db, modelId)) throw proxyError(400, `Model with id=${modelId} already exists in db`);
  if (inRouter(m, modelId)) {
    throw new GatewayError(400, `model_info.id=${modelId} already belongs to an existing deployment; omit model_info.id to auto-generate one.`, { type: "validation_error", param: "model_info.id" });
  }
  const s = m.dbs.db.schema;
  const row = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      const row = await insertRow(tx, s, MODEL_TABLE, {
        model_id: modelId,
        model_name: modelName,
        litellm_params: encryptParams(litellmParams, signingKey(m)),
        model_info: modelInfo,
        created_by: actor(m),
        updated_by: actor(m),
      });
      if (teamId && publicName && modelName) await addTeamModel(tx, s, teamId, publicName, modelName, actor(m));
      return row;
    }),
  );
  if (teamId) m.dbs.invalidate({ kind: "team", id: teamId });
  await m.dbs.reloadModels();
  return row;
}

/** No stored row: `PATCH /model/{id}/update` answers with LiteLLM's `patch_model` errors, `/model/update` with the legacy ones. */
function missingModel(patch: boolean, modelId: string, inConfig: boolean): GatewayError {
  if (patch && inConfig) return new GatewayError(400, "Cannot edit config-based model. Store model in DB via /model/new first.", { type: "bad_request_error" });
  if (patch) return new GatewayError(404, `Model ${modelId} not found on proxy.`, { type: "not_found_error" });
  if (inConfig) return detailError(400, "Can't edit model. Model in config. Store model in db via `/model/new`. to edit.");
  return proxyError(400, "Authentication Error, model not found");
}

/** What a team admin may not do to its team's model: move it to another team, rename it, pause or resume it. */
function checkTeamModelUpdate(m: Mgmt, existing: Row, teamId: string | undefined): void {
  const asked = teamOfModel(m.body.model_info);
  if (teamId && asked && asked !== teamId) throw proxyError(403, "Cannot reassign a model to a different team.", "model_info.team_id");
  if (isAdmin(m.auth)) return;
  if (m.body.blocked !== undefined && m.body.blocked !== null) throw proxyError(403, "Only proxy admins can change a model's blocked flag.", "blocked");
  const publicName = str(obj(existing.model_info).team_public_model_name) ?? str(existing.model_name);
  if (str(m.body.model_name) && m.body.model_name !== publicName && m.body.model_name !== existing.model_name) {
    throw new GatewayError(400, "A team model keeps its name; delete it and add it again with /model/new to rename it.", { type: "bad_request_error", param: "model_name" });
  }
}

/** `/model/update` and `PATCH /model/{id}/update`: the given params and info are merged into the stored ones and re-encrypted. */
async function updateModel(m: Mgmt, modelId: string | undefined, patch: boolean): Promise<Row> {
  if (!modelId) {
    await authorizeModelWrite(m, undefined);
    throw proxyError(400, "Authentication Error, model_info.id not provided");
  }
  if (patch && !storeModelInDb(m.dbs.config)) throw new GatewayError(400, "Model updates only supported for DB-stored models", { type: "bad_request_error" });
  const existing = await findDbModel(m.dbs.db, modelId);
  if (!existing) {
    await authorizeModelWrite(m, undefined);
    throw missingModel(patch, modelId, inRouter(m, modelId));
  }
  const teamId = teamOfModel(existing.model_info);
  await authorizeModelWrite(m, teamId);
  checkTeamModelUpdate(m, existing, teamId);
  const patchParams = params(m.body.litellm_params);
  checkPrivilegedModelFields(m, patchParams, params(m.body.model_info));
  checkCredentialSources(m, patchParams);
  await checkModelEndpoints(m, patchParams);
  requireStoreInDb(m);
  const key = signingKey(m);
  const stored = decryptParams(obj(existing.litellm_params), key);
  const merged = { ...stored, ...patchParams };
  stripCredentialsOnNewDestination(merged, patchParams, stored);
  checkOwnCredential(m, merged, teamId);
  const moved = movesOrReauthenticates(patchParams);
  if (moved) checkCredentialSources(m, merged);
  const ownOnly = moved || obj(existing.model_info).own_credentials_only === true;
  const info = { ...obj(existing.model_info), ...params(m.body.model_info), id: modelId, ...(ownOnly ? ownCredentialsOnly(m) : {}) };
  const modelName = teamId ? str(existing.model_name) : (str(m.body.model_name) ?? str(existing.model_name));
  const entry = { model_name: modelName, litellm_params: merged, model_info: info };
  validateEntry(m, entry);
  const row = await updateDbModel(m.dbs.db, modelId, {
    model_name: entry.model_name,
    litellm_params: encryptParams(merged, key),
    model_info: info,
    ...(typeof m.body.blocked === "boolean" ? { blocked: m.body.blocked } : {}),
    updated_at: new Date().toISOString(),
    updated_by: actor(m),
  });
  await m.dbs.reloadModels();
  return row ?? {};
}

async function deleteModel(m: Mgmt): Promise<Row> {
  const modelId = str(m.body.id);
  const notFound = () => detailError(400, `Model with id=${modelId} not found in db`);
  if (!modelId) throw notFound();
  const existing = await findDbModel(m.dbs.db, modelId);
  if (!existing) throw notFound();
  const teamId = teamOfModel(existing.model_info);
  await authorizeModelWrite(m, teamId);
  requireStoreInDb(m);
  const s = m.dbs.db.schema;
  const deleted = await m.dbs.db.run((sql) =>
    sql.begin(async (tx) => {
      if (teamId) await removeTeamModel(tx, s, teamId, String(existing.model_name));
      return tx.unsafe(`DELETE FROM "${MODEL_TABLE}" WHERE model_id = $1 RETURNING model_id`, [modelId]);
    }),
  );
  if (!deleted.length) throw notFound();
  if (teamId) m.dbs.invalidate({ kind: "team", id: teamId });
  await m.dbs.reloadModels();
  return { message: `Model: ${modelId} deleted successfully` };
}

/** LiteLLM's model management: `/model/new`, `/model/update`, `PATCH /model/{id}/update`, `/model/delete`. */
export function registerModelWriteRoutes(app: Hono, rt: () => Runtime, dbs: DbServices | undefined): void {
  route(app, rt, dbs, "post", "/model/new", addModel);
  route(app, rt, dbs, "post", "/model/update", (m) => updateModel(m, str(obj(m.body.model_info).id), false));
  route(app, rt, dbs, "patch", "/model/:model_id/update", (m) => updateModel(m, m.c.req.param("model_id"), true));
  route(app, rt, dbs, "post", "/model/delete", deleteModel);
}
