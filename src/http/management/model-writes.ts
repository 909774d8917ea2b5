import type { Hono } from "hono";
import * as v from "valibot";
import { obj, str, type Row } from "../../auth/key-record.ts";
import { ModelEntrySchema } from "../../config/schema.ts";
import { deleteDbModel, encryptParams, findDbModel, insertDbModel, MODEL_TABLE, updateDbModel } from "../../db/db-model-store.ts";
import { storeModelInDb } from "../../db/db-models.ts";
import { decryptParams } from "../../db/secrets.ts";
import type { DbServices } from "../../db/services.ts";
import { GatewayError } from "../../errors.ts";
import { buildDeployments } from "../../router/deployment.ts";
import type { Runtime } from "../../runtime.ts";
import { isAdmin, route, type Mgmt } from "./context.ts";

/** LiteLLM raises these as HTTPException and re-wraps them as `ProxyException(type=auth_error)`. */
const proxyError = (status: number, message: string) => new GatewayError(status, message, { type: "auth_error", param: "None" });

/** Python's `repr` of a string: single quotes unless the text holds one and no double quote. */
export function pyRepr(text: string): string {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'";
  return q + text.replace(/\\/g, "\\\\").replaceAll(q, `\\${q}`) + q;
}

/** `HTTPException(detail={"error": …})` re-wrapped: the message is Python's `str()` of the detail dict. */
const detailError = (status: number, error: string) => proxyError(status, `{'error': ${pyRepr(error)}}`);

const NOT_ENABLED = "Set `'STORE_MODEL_IN_DB='True'` in your env to enable this feature.";

const signingKey = (m: Mgmt) => m.dbs.config.saltKey ?? m.dbs.config.masterKey;
const actor = (m: Mgmt) => m.auth.userId ?? "default_user_id";

function requireModelAdmin(m: Mgmt): void {
  if (isAdmin(m.auth)) return;
  throw detailError(
    403,
    `User does not have permission to make this model call. Your role=${m.auth.role}. You can only make model calls if you are a PROXY_ADMIN or if you are a team admin, by specifying a team_id in the model_info.`,
  );
}

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
  if (!built.deployments.length) throw new GatewayError(400, built.warnings[0] ?? "model not supported", { type: "bad_request_error", param: "litellm_params.model" });
}

/** `litellm_params` without `None` values, as LiteLLM's pydantic models drop them. */
function params(v: unknown): Row {
  const out: Row = {};
  for (const [k, x] of Object.entries(obj(v))) if (x !== null && x !== undefined) out[k] = x;
  return out;
}

async function addModel(m: Mgmt): Promise<Row> {
  requireModelAdmin(m);
  requireStoreInDb(m);
  const info = obj(m.body.model_info);
  const modelId = str(info.id) ?? crypto.randomUUID();
  const entry = { model_name: m.body.model_name, litellm_params: params(m.body.litellm_params), model_info: { ...info, id: modelId } };
  validateEntry(m, entry);
  if (await findDbModel(m.dbs.db, modelId)) throw proxyError(400, `Model with id=${modelId} already exists in db`);
  const row = await insertDbModel(m.dbs.db, {
    model_id: modelId,
    model_name: entry.model_name,
    litellm_params: encryptParams(entry.litellm_params, signingKey(m)),
    model_info: entry.model_info,
    created_by: actor(m),
    updated_by: actor(m),
  });
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

/** `/model/update` and `PATCH /model/{id}/update`: the given params and info are merged into the stored ones and re-encrypted. */
async function updateModel(m: Mgmt, modelId: string | undefined, patch: boolean): Promise<Row> {
  requireModelAdmin(m);
  if (!modelId) throw proxyError(400, "Authentication Error, model_info.id not provided");
  if (patch && !storeModelInDb(m.dbs.config)) throw new GatewayError(400, "Model updates only supported for DB-stored models", { type: "bad_request_error" });
  const existing = await findDbModel(m.dbs.db, modelId);
  if (!existing) {
    throw missingModel(patch, modelId, m.rt.router.groups.allDeployments().some((d) => d.id === modelId));
  }
  requireStoreInDb(m);
  const key = signingKey(m);
  const merged = { ...decryptParams(obj(existing.litellm_params), key), ...params(m.body.litellm_params) };
  const info = { ...obj(existing.model_info), ...params(m.body.model_info), id: modelId };
  const entry = { model_name: str(m.body.model_name) ?? str(existing.model_name), litellm_params: merged, model_info: info };
  validateEntry(m, entry);
  const row = await updateDbModel(m.dbs.db, modelId, {
    model_name: entry.model_name,
    litellm_params: encryptParams(merged, key),
    model_info: info,
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
  requireModelAdmin(m);
  requireStoreInDb(m);
  if (!(await deleteDbModel(m.dbs.db, modelId))) throw notFound();
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
