import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { decryptValue } from "../../src/db/secrets.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/** LiteLLM's model management (`/model/new|update|delete`) on a LiteLLM-migrated database, with two instances. */
const MASTER = "sk-master-models-api";
const SALT = "sk-salt-models-api";
const SECRET = "sk-provider-added-secret-123";
/** The peer must follow within a few polls, well under LiteLLM's default 10 s: the setting is honoured. */
const POLL_S = 0.5;
const PEER_WAIT_MS = 5_000;

type Json = Record<string, unknown>;
type Err = { error: { message: string; type: string; param?: string | null; code: string } };

let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;
let peer: GatewayProcess;

const config = (storeInDb: boolean) => ({
  model_list: [{ model_name: "config-gpt", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-config" }, model_info: { id: "config-model-1" } }],
  router_settings: { num_retries: 0 },
  general_settings: { master_key: MASTER, database_url: db.url, store_model_in_db: storeInDb, proxy_batch_write_at: 0.2, db_model_poll_interval_seconds: POLL_S },
});

async function call(url: string, method: string, path: string, body?: unknown, key = MASTER): Promise<{ status: number; body: Json }> {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Json };
}

const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: MASTER, maxRetries: 0 });
const ask = async (url: string, model: string) => await client(url).chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
const lastAuth = () => fake.requests.at(-1)?.headers.authorization;

beforeAll(async () => {
  db = await createTestDb("lr_models_api");
  await loadLiteLLMSchema(db.sql);
  fake = await startFakeLLM();
  const env = { LITELLM_SALT_KEY: SALT };
  [gw, peer] = await Promise.all([startGateway({ env, config: config(true) }), startGateway({ env, config: config(true) })]);
});

afterAll(async () => {
  await Promise.all([gw?.stop(), peer?.stop()]);
  await fake?.stop();
  await db?.drop();
});

describe("model management", () => {
  test("/model/new stores the model encrypted and it is callable at once, on this and (after its poll) another instance", async () => {
    await expect(ask(gw.url, "added-gpt")).rejects.toMatchObject({ status: 400 });
    const added = await call(gw.url, "POST", "/model/new", {
      model_name: "added-gpt",
      litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: SECRET },
      model_info: { id: "added-1", team_note: "x" },
    });
    expect(added.status).toBe(200);
    expect(added.body.model_id).toBe("added-1");
    expect(added.body.model_name).toBe("added-gpt");
    expect(JSON.stringify(added.body)).not.toContain(SECRET);

    const [row] = await db.sql`SELECT litellm_params, model_info, created_by FROM "LiteLLM_ProxyModelTable" WHERE model_id = 'added-1'`;
    expect(JSON.stringify(row!.litellm_params)).not.toContain(SECRET);
    expect(JSON.stringify(row!.litellm_params)).not.toContain("gpt-upstream");
    expect(decryptValue(row!.litellm_params.api_key, SALT)).toBe(SECRET);
    expect(decryptValue(row!.litellm_params.model, SALT)).toBe("openai/gpt-upstream");
    expect(row!.model_info.team_note).toBe("x");

    const answer = await ask(gw.url, "added-gpt");
    expect(answer.choices[0]!.message.content).toBeTruthy();
    expect(lastAuth()).toBe(`Bearer ${SECRET}`);

    const info = await call(gw.url, "GET", "/model/info?litellm_model_id=added-1");
    const entry = (info.body.data as Json[])[0]!;
    expect((entry.model_info as Json).db_model).toBe(true);
    expect(JSON.stringify(entry)).not.toContain(SECRET);

    await waitFor(async () => (await ask(peer.url, "added-gpt").then(() => true, () => false)) || undefined, PEER_WAIT_MS, "the peer instance to serve added-gpt");
  });

  test("a gateway started later loads the stored model", async () => {
    const late = await startGateway({ env: { LITELLM_SALT_KEY: SALT }, config: config(true) });
    try {
      await ask(late.url, "added-gpt");
      expect(lastAuth()).toBe(`Bearer ${SECRET}`);
    } finally {
      await late.stop();
    }
  });

  test("PATCH /model/{id}/update and /model/update merge and re-encrypt; config models cannot be edited", async () => {
    const patched = await call(gw.url, "PATCH", "/model/added-1/update", { litellm_params: { api_key: "sk-rotated-456" } });
    expect(patched.status).toBe(200);
    await ask(gw.url, "added-gpt");
    expect(lastAuth()).toBe("Bearer sk-rotated-456");
    const [row] = await db.sql`SELECT litellm_params FROM "LiteLLM_ProxyModelTable" WHERE model_id = 'added-1'`;
    expect(decryptValue(row!.litellm_params.api_key, SALT)).toBe("sk-rotated-456");
    expect(decryptValue(row!.litellm_params.api_base, SALT)).toBe(`${fake.url}/v1`);

    const renamed = await call(gw.url, "POST", "/model/update", { model_name: "renamed-gpt", model_info: { id: "added-1" } });
    expect(renamed.status).toBe(200);
    await ask(gw.url, "renamed-gpt");
    await expect(ask(gw.url, "added-gpt")).rejects.toMatchObject({ status: 400 });
    await waitFor(async () => (await ask(peer.url, "renamed-gpt").then(() => true, () => false)) || undefined, PEER_WAIT_MS, "the peer instance to serve renamed-gpt");

    const cfg = await call(gw.url, "POST", "/model/update", { litellm_params: { api_key: "x" }, model_info: { id: "config-model-1" } });
    expect(cfg.status).toBe(400);
    expect((cfg.body as Err).error.message).toBe(`{'error': "Can't edit model. Model in config. Store model in db via \`/model/new\`. to edit."}`);
    const cfgPatch = await call(gw.url, "PATCH", "/model/config-model-1/update", { litellm_params: { api_key: "x" } });
    expect(cfgPatch.status).toBe(400);
    expect((cfgPatch.body as Err).error).toMatchObject({ message: "Cannot edit config-based model. Store model in DB via /model/new first.", type: "bad_request_error" });
    const unknownPatch = await call(gw.url, "PATCH", "/model/no-such-id/update", { litellm_params: { api_key: "x" } });
    expect(unknownPatch.status).toBe(404);
    expect((unknownPatch.body as Err).error).toMatchObject({ message: "Model no-such-id not found on proxy.", type: "not_found_error" });
    const unknownUpdate = await call(gw.url, "POST", "/model/update", { litellm_params: { api_key: "x" }, model_info: { id: "no-such-id" } });
    expect(unknownUpdate.status).toBe(400);
    expect((unknownUpdate.body as Err).error.message).toBe("Authentication Error, model not found");
  });

  test("/model/update with a new api_base sends the next call there; the stored key does not follow a new endpoint unless the update brings one", async () => {
    const other = await startFakeLLM({ name: "other" });
    try {
      const moved = await call(gw.url, "POST", "/model/update", { litellm_params: { api_base: `${other.url}/v1` }, model_info: { id: "added-1" } });
      expect(moved.status).toBe(200);
      fake.reset();
      await ask(gw.url, "renamed-gpt");
      expect(fake.requests).toHaveLength(0);
      expect(other.requests).toHaveLength(1);
      expect(String(other.requests[0]!.headers.authorization)).not.toContain("sk-rotated-456");
      const back = await call(gw.url, "PATCH", "/model/added-1/update", { litellm_params: { api_base: `${fake.url}/v1`, api_key: "sk-rotated-456" } });
      expect(back.status).toBe(200);
      await ask(gw.url, "renamed-gpt");
      expect(other.requests).toHaveLength(1);
      expect(fake.requests).toHaveLength(1);
      expect(fake.requests[0]!.headers.authorization).toBe("Bearer sk-rotated-456");
    } finally {
      await other.stop();
    }
  });

  test("bad input and non-admin callers are refused before anything is written", async () => {
    const bad = await call(gw.url, "POST", "/model/new", { model_name: "broken", litellm_params: { api_key: "k" } });
    expect(bad.status).toBe(422);
    expect((bad.body as Err).error.message).toContain("litellm_params.model");
    const unknown = await call(gw.url, "POST", "/model/new", { model_name: "broken", litellm_params: { model: "nosuchprovider/x" } });
    expect(unknown.status).toBe(400);

    const gen = await call(gw.url, "POST", "/key/generate", {});
    const userKey = String(gen.body.key);
    const denied = await call(gw.url, "POST", "/model/new", { model_name: "sneaky", litellm_params: { model: "openai/x" } }, userKey);
    expect(denied.status).toBe(403);
    expect((denied.body as Err).error.message).toStartWith("{'error': 'User does not have permission to make this model call. Your role=");
    const [count] = await db.sql`SELECT count(*)::int AS n FROM "LiteLLM_ProxyModelTable" WHERE model_name IN ('broken', 'sneaky')`;
    expect(count!.n).toBe(0);
  });

  test("/model/delete removes it from the router at once; unknown ids get LiteLLM's error", async () => {
    const del = await call(gw.url, "POST", "/model/delete", { id: "added-1" });
    expect(del.status).toBe(200);
    expect(del.body.message).toBe("Model: added-1 deleted successfully");
    await expect(ask(gw.url, "renamed-gpt")).rejects.toMatchObject({ status: 400 });
    const again = await call(gw.url, "POST", "/model/delete", { id: "added-1" });
    expect(again.status).toBe(400);
    expect((again.body as Err).error).toMatchObject({ message: "{'error': 'Model with id=added-1 not found in db'}", type: "auth_error", code: "400" });
    await waitFor(async () => (await ask(peer.url, "renamed-gpt").then(() => false, (e: { status?: number }) => e.status === 400)) || undefined, PEER_WAIT_MS, "the peer instance to drop the model");
  });

  test("/model_group/info folds a group's deployments together, narrowed to the key's models", async () => {
    for (const rpm of [5, 7]) {
      const r = await call(gw.url, "POST", "/model/new", {
        model_name: "grp-gpt",
        litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-g", rpm },
        model_info: { max_input_tokens: 1000 * rpm, supports_vision: rpm === 7 },
      });
      expect(r.status).toBe(200);
    }
    const all = await call(gw.url, "GET", "/model_group/info");
    expect(all.status).toBe(200);
    const groups = all.body.data as Json[];
    expect(groups.map((g) => g.model_group).sort()).toEqual(["config-gpt", "grp-gpt"]);
    const one = await call(gw.url, "GET", "/model_group/info?model_group=grp-gpt");
    expect(one.body.data).toEqual([
      expect.objectContaining({ model_group: "grp-gpt", providers: ["openai"], rpm: 12, tpm: null, max_input_tokens: 7000, mode: "chat", supports_vision: true, supports_function_calling: false }),
    ]);
    const gen = await call(gw.url, "POST", "/key/generate", { models: ["config-gpt"] });
    const narrowed = await call(gw.url, "GET", "/model_group/info", undefined, String(gen.body.key));
    expect((narrowed.body.data as Json[]).map((g) => g.model_group)).toEqual(["config-gpt"]);
  });

  test("without store_model_in_db the write routes answer LiteLLM's error", async () => {
    const off = await startGateway({ env: { LITELLM_SALT_KEY: SALT }, config: config(false) });
    try {
      const r = await call(off.url, "POST", "/model/new", { model_name: "x", litellm_params: { model: "openai/x" } });
      expect(r.status).toBe(500);
      expect((r.body as Err).error).toEqual({ message: `{'error': "Set \`'STORE_MODEL_IN_DB='True'\` in your env to enable this feature."}`, type: "auth_error", param: "None", code: "500" });
      const patch = await call(off.url, "PATCH", "/model/config-model-1/update", { litellm_params: { api_key: "x" } });
      expect(patch.status).toBe(400);
      expect((patch.body as Err).error.message).toBe("Model updates only supported for DB-stored models");
    } finally {
      await off.stop();
    }
  });
});
