import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

/**
 * A fresh, empty database: the gateway creates LiteLLM's tables, the management API creates the
 * org, team, user, customer and key, and each call through the SDKs must leave one SpendLogs row
 * and the right spend on every entity and daily table.
 */
const MASTER = "sk-master-db-spend";
const IN = 0.001;
const OUT = 0.002;
const CACHE_READ = 0.0001;
const CACHE_WRITE = 0.00125;
let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;
let key: string;
let keyHash: string;
const LONG = "Please count the tokens of this longer prompt. ".repeat(8);

async function admin(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${gw.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await r.json()) as Record<string, unknown>;
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  db = await createTestDb("lr_db_spend");
  fake = await startFakeLLM();
  const prices = { input_cost_per_token: IN, output_cost_per_token: OUT, cache_read_input_token_cost: CACHE_READ, cache_creation_input_token_cost: CACHE_WRITE };
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p", ...prices } },
        { model_name: "claude-test", litellm_params: { model: "anthropic/claude-upstream", api_base: fake.url, api_key: "sk-a", ...prices } },
      ],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 0.2 },
    },
  });
  const org = await admin("/organization/new", { organization_alias: "acme", max_budget: 100 });
  await admin("/team/new", { team_id: "team-s", team_alias: "spenders", organization_id: org.organization_id, max_budget: 50 });
  await admin("/user/new", { user_id: "sam", auto_create_key: false, max_budget: 10 });
  await admin("/team/member_add", { team_id: "team-s", member: { role: "user", user_id: "sam" }, max_budget_in_team: 5 });
  await admin("/customer/new", { user_id: "cust-1", max_budget: 3 });
  const k = await admin("/key/generate", { user_id: "sam", team_id: "team-s", key_alias: "spend-key", metadata: { tags: ["proj-x"] } });
  key = String(k.key);
  keyHash = String(k.token);
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await db?.drop();
});

interface Row {
  request_id: string;
  call_type: string;
  api_key: string;
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  model: string;
  model_group: string;
  model_id: string;
  custom_llm_provider: string;
  user: string;
  team_id: string;
  end_user: string | null;
  organization_id: string;
  status: string;
  request_tags: string[];
  metadata: Record<string, unknown>;
  startTime: Date;
  endTime: Date;
  completionStartTime: Date;
  cache_hit: string;
}

const rowFor = (id: string) =>
  waitFor(async () => (await db.sql<Row[]>`SELECT * FROM "LiteLLM_SpendLogs" WHERE request_id = ${id}`)[0], 10_000, `spend row ${id}`);

const spendOf = async (table: string, col: string, id: string) => Number((await db.sql.unsafe(`SELECT spend FROM "${table}" WHERE "${col}" = $1`, [id]))[0]?.spend ?? NaN);

const costOpenAI = (u: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens?: number } | null }) => {
  const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
  return Math.max(0, u.prompt_tokens - cached) * IN + cached * CACHE_READ + u.completion_tokens * OUT;
};

const costAnthropic = (u: { input_tokens: number; output_tokens: number; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null }) =>
  u.input_tokens * IN + (u.cache_read_input_tokens ?? 0) * CACHE_READ + (u.cache_creation_input_tokens ?? 0) * CACHE_WRITE + u.output_tokens * OUT;

describe("spend tracking on a database the gateway created", () => {
  const costs: number[] = [];

  test("OpenAI non-streaming: one SpendLogs row with LiteLLM's fields", async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: LONG }], user: "cust-1" }).withResponse();
    const row = await rowFor(data.id);
    const cost = costOpenAI(data.usage!);
    costs.push(cost);
    expect(row.spend).toBeCloseTo(cost, 12);
    expect(Number(response.headers.get("x-litellm-response-cost"))).toBeCloseTo(cost, 12);
    expect(row.call_type).toBe("acompletion");
    expect(row.api_key).toBe(keyHash);
    expect(row.prompt_tokens).toBe(data.usage!.prompt_tokens);
    expect(row.completion_tokens).toBe(data.usage!.completion_tokens);
    expect(row.total_tokens).toBe(data.usage!.total_tokens);
    expect(row.model).toBe("gpt-upstream");
    expect(row.model_group).toBe("gpt-test");
    expect(row.custom_llm_provider).toBe("openai");
    expect(row.user).toBe("sam");
    expect(row.team_id).toBe("team-s");
    expect(row.end_user).toBe("cust-1");
    expect(row.organization_id).toBeTruthy();
    expect(row.status).toBe("success");
    expect(row.cache_hit).toBe("False");
    expect(row.request_tags).toEqual(["proj-x"]);
    expect(row.metadata.user_api_key_alias).toBe("spend-key");
    expect(row.metadata.user_api_key_team_alias).toBe("spenders");
    expect(row.metadata.litellm_call_id).toBe(response.headers.get("x-litellm-call-id"));
    expect(row.endTime.getTime()).toBeGreaterThanOrEqual(row.startTime.getTime());
    expect(Math.abs(row.startTime.getTime() - Date.now())).toBeLessThan(60_000);
  });

  test("OpenAI streaming: usage read from the stream", async () => {
    const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "gpt-test", messages: [{ role: "user", content: LONG }], stream: true });
    let id = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      id = chunk.id;
      if (chunk.usage) usage = chunk.usage;
    }
    const row = await rowFor(id);
    const cost = costOpenAI(usage!);
    costs.push(cost);
    expect(row.spend).toBeCloseTo(cost, 12);
    expect(row.completion_tokens).toBe(usage!.completion_tokens);
    expect(row.completionStartTime.getTime()).toBeLessThanOrEqual(row.endTime.getTime());
  });

  test("Anthropic non-streaming: cache read and creation tokens priced", async () => {
    const client = new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
    const msg = await client.messages.create({ model: "claude-test", max_tokens: 50, messages: [{ role: "user", content: "hello" }] });
    const row = await rowFor(msg.id);
    const cost = costAnthropic(msg.usage);
    costs.push(cost);
    expect(row.call_type).toBe("anthropic_messages");
    expect(row.spend).toBeCloseTo(cost, 12);
    expect(row.prompt_tokens).toBe(msg.usage.input_tokens + (msg.usage.cache_read_input_tokens ?? 0) + (msg.usage.cache_creation_input_tokens ?? 0));
  });

  test("Anthropic streaming", async () => {
    const client = new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
    const stream = client.messages.stream({ model: "claude-test", max_tokens: 50, messages: [{ role: "user", content: "stream please" }] });
    const msg = await stream.finalMessage();
    const row = await rowFor(msg.id);
    const cost = costAnthropic(msg.usage);
    costs.push(cost);
    expect(row.spend).toBeCloseTo(cost, 12);
    expect(row.completion_tokens).toBe(msg.usage.output_tokens);
  });

  test("spend counters: key, user, team, team member, end user, organization", async () => {
    const total = costs.reduce((a, b) => a + b, 0);
    const endUserTotal = costs[0]!;
    await waitFor(async () => Math.abs((await spendOf("LiteLLM_VerificationToken", "token", keyHash)) - total) < 1e-9, 10_000, "key spend");
    expect(await spendOf("LiteLLM_UserTable", "user_id", "sam")).toBeCloseTo(total, 9);
    expect(await spendOf("LiteLLM_TeamTable", "team_id", "team-s")).toBeCloseTo(total, 9);
    const member = await db.sql`SELECT spend FROM "LiteLLM_TeamMembership" WHERE team_id = 'team-s' AND user_id = 'sam'`;
    expect(Number(member[0]!.spend)).toBeCloseTo(total, 9);
    expect(await spendOf("LiteLLM_EndUserTable", "user_id", "cust-1")).toBeCloseTo(endUserTotal, 9);
    const [org] = await db.sql`SELECT spend FROM "LiteLLM_OrganizationTable"`;
    expect(Number(org!.spend)).toBeCloseTo(total, 9);
    const info = await admin(`/key/info?key=${key}`);
    expect(Number((info.info as { spend: number }).spend)).toBeCloseTo(total, 9);
  });

  test("daily tables: one row per (entity, day, key, model, provider, endpoint), counters summed", async () => {
    const rows = await db.sql<Array<{ model: string; endpoint: string; api_requests: string; successful_requests: string; spend: number; prompt_tokens: string; cache_read_input_tokens: string }>>`
      SELECT model, endpoint, api_requests, successful_requests, spend, prompt_tokens, cache_read_input_tokens FROM "LiteLLM_DailyUserSpend" WHERE user_id = 'sam' ORDER BY model`;
    expect(rows.map((r) => [r.model, r.endpoint, Number(r.api_requests)])).toEqual([
      ["claude-upstream", "/v1/messages", 2],
      ["gpt-upstream", "/v1/chat/completions", 2],
    ]);
    expect(rows.reduce((a, r) => a + Number(r.spend), 0)).toBeCloseTo(costs.reduce((a, b) => a + b, 0), 9);
    expect(Number(rows[0]!.cache_read_input_tokens)).toBe(14);
    for (const table of ["LiteLLM_DailyTeamSpend", "LiteLLM_DailyOrganizationSpend", "LiteLLM_DailyTagSpend"]) {
      const [n] = await db.sql.unsafe(`SELECT sum(api_requests)::int AS n FROM "${table}"`);
      expect(n!.n).toBe(4);
    }
    const [eu] = await db.sql`SELECT sum(api_requests)::int AS n FROM "LiteLLM_DailyEndUserSpend" WHERE end_user_id = 'cust-1'`;
    expect(eu!.n).toBe(1);
  });

  test("spend logs and the global report read the rows back", async () => {
    const logs = (await (await fetch(`${gw.url}/spend/logs?api_key=${key}`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as Array<{ request_id: string }>;
    expect(logs).toHaveLength(4);
    const today = new Date().toISOString().slice(0, 10);
    const report = (await (await fetch(`${gw.url}/global/spend/report?start_date=${today}&end_date=${today}`, { headers: { authorization: `Bearer ${MASTER}` } })).json()) as Array<{
      group_by_day: string;
      teams: Array<{ team_name: string; total_spend: number }>;
    }>;
    expect(report[0]!.group_by_day).toBe(today);
    expect(report[0]!.teams[0]!.team_name).toBe("team-s");
    expect(report[0]!.teams[0]!.total_spend).toBeCloseTo(costs.reduce((a, b) => a + b, 0), 9);
  });

  test("a failed call leaves a failure row with spend 0 and a LiteLLM_ErrorLogs row", async () => {
    fake.control({ failStatus: 500, failCount: 1 });
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-litellm-call-id": "failed-call-1" },
      body: JSON.stringify({ model: "gpt-test", temperature: 0.5, messages: [{ role: "user", content: "a secret prompt" }] }),
    });
    expect(r.status).toBe(500);
    const callId = r.headers.get("x-litellm-call-id")!;
    expect(callId).not.toBe("failed-call-1");
    const row = await rowFor(callId);
    expect(row.status).toBe("failure");
    expect(row.spend).toBe(0);
    expect(row.metadata.error_information).toBeTruthy();
    expect(row.metadata.client_call_id).toBe("failed-call-1");
    const [err] = await db.sql`SELECT * FROM "LiteLLM_ErrorLogs" WHERE request_id = ${callId}`;
    expect(err!.model_group).toBe("gpt-test");
    expect(err!.status_code).toBe("500");
    expect(err!.exception_type).toBe("InternalServerError");
    expect(err!.exception_string.length).toBeGreaterThan(0);
    expect(err!.litellm_model_name).toBeTruthy();
    expect(err!.api_base).toContain("127.0.0.1");
    expect(err!.request_kwargs).toEqual({ temperature: 0.5 });
    expect(JSON.stringify(err)).not.toContain("a secret prompt");
    expect(JSON.stringify(err)).not.toContain("sk-");
    expect(err!.startTime.getTime()).toBeLessThanOrEqual(err!.endTime.getTime());
  });

  test("calls sharing a client-chosen x-litellm-call-id each get their own row and count once each", async () => {
    const k = await admin("/key/generate", { key_alias: "shared-call-id" });
    const hash = String(k.token);
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${gw.url}/v1/embeddings`, {
        method: "POST",
        headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json", "x-litellm-call-id": "same-id" },
        body: JSON.stringify({ model: "gpt-test", input: `text number ${i}` }),
      });
      expect(r.status).toBe(200);
      ids.add(r.headers.get("x-litellm-call-id")!);
    }
    expect(ids.size).toBe(5);
    expect(ids.has("same-id")).toBe(false);
    const rows = await waitFor(async () => {
      const rs = await db.sql<Row[]>`SELECT * FROM "LiteLLM_SpendLogs" WHERE api_key = ${hash}`;
      return rs.length === 5 && rs;
    }, 10_000, "5 spend rows");
    expect(new Set(rows.map((r) => r.request_id))).toEqual(ids);
    for (const r of rows) expect(r.metadata.client_call_id).toBe("same-id");
    const total = rows.reduce((a, r) => a + r.spend, 0);
    expect(total).toBeGreaterThan(0);
    await waitFor(async () => Math.abs((await spendOf("LiteLLM_VerificationToken", "token", hash)) - total) < 1e-12, 10_000, "key spend = sum of 5 rows");
  });
});
