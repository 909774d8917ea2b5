import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

/**
 * Issue 14.6: hostile input on every JSON route gets a 4xx in the client's protocol, never a 5xx.
 * A data-driven table: each management POST route gets every field it stores set to values of the
 * wrong JSON type and to strings Postgres cannot store as they are; every route gets bodies nested
 * 100,000 deep, lone surrogates, NUL characters; GET routes get hostile query strings and paths.
 */
const MASTER = "sk-master-hostile-input";
let db: TestDb;
let fake: FakeLLM;
let gw: GatewayProcess;
let keyHash = "";
/** A key of its own for /key/regenerate, which replaces it (later cases then get a 404). */
let regenHash = "";
let userlessKey = "";

type Body = Record<string, unknown> | string | undefined;
interface Case {
  method: string;
  path: string;
  body?: Body;
  /** The expected status; by default any 2xx or 4xx. */
  want?: number;
  auth?: string;
}

const deep = (n: number, leaf = "1") => `${'{"a":'.repeat(n)}${leaf}${"}".repeat(n)}`;
const deepArray = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const RAW_NUL = '"a\\u0000b"';
const RAW_LONE = '"\\ud800x"';

/** Values of the wrong JSON type for a typed field, and strings Postgres cannot store as they are. */
const WRONG_TYPES: unknown[] = [1.5, -1, 1e308, true, {}, [{}], { a: { b: [1] } }, "not-a-number", "maybe"];
const HOSTILE_STRINGS: unknown[] = ["a\u0000b", "\ud800", "x\udc00y", "%00", "\\u0000", "'; DROP TABLE x; --", "99999999999999d"];

const KEY_FIELDS = [
  "key_alias", "user_id", "team_id", "agent_id", "organization_id", "project_id", "budget_id", "max_budget", "budget_duration", "spend",
  "models", "aliases", "config", "permissions", "max_parallel_requests", "tpm_limit", "rpm_limit", "model_max_budget",
  "allowed_cache_controls", "allowed_routes", "blocked", "router_settings", "access_group_ids", "policies", "auto_rotate",
  "rotation_interval", "object_permission_id", "duration", "metadata", "tags", "soft_budget", "key_type", "model_rpm_limit",
  "model_tpm_limit", "guardrails", "enforced_params", "temp_budget_increase", "temp_budget_expiry", "key", "new_key",
];
const TEAM_FIELDS = [
  "team_id", "team_alias", "organization_id", "admins", "members", "metadata", "tpm_limit", "rpm_limit", "max_budget", "soft_budget",
  "budget_duration", "models", "blocked", "max_parallel_requests", "router_settings", "access_group_ids", "policies",
  "team_member_permissions", "model_max_budget", "members_with_roles", "model_aliases", "team_member_budget", "team_member_tpm_limit",
  "team_member_rpm_limit", "tags", "guardrails",
];
const USER_FIELDS = [
  "user_id", "user_email", "user_alias", "user_role", "teams", "max_budget", "budget_duration", "models", "tpm_limit", "rpm_limit",
  "max_parallel_requests", "metadata", "sso_user_id", "organization_id", "allowed_cache_controls", "spend", "model_max_budget",
  "auto_create_key", "key_alias", "duration", "key_max_budget", "key_metadata",
];
const BUDGET_FIELDS = ["budget_id", "max_budget", "soft_budget", "max_parallel_requests", "tpm_limit", "rpm_limit", "budget_duration", "model_max_budget", "budget_reset_at"];
const CUSTOMER_FIELDS = ["alias", "blocked", "spend", "allowed_model_region", "default_model", "budget_id", ...BUDGET_FIELDS.slice(1)];
const ORG_FIELDS = ["organization_id", "organization_alias", "budget_id", "models", "metadata", ...BUDGET_FIELDS.slice(1)];
const LLM_FIELDS = ["model", "messages", "max_tokens", "stream", "metadata", "user", "tools", "temperature", "input", "system", "stream_options", "n", "litellm_session_id"];

/** Every POST route that stores a body, with the fields it reads and a base body that reaches the SQL. */
function fieldRoutes(): Array<{ path: string; fields: string[]; base: () => Record<string, unknown>; method?: string }> {
  let n = 0;
  const uniq = (p: string) => `${p}-${Date.now().toString(36)}-${n++}`;
  return [
    { path: "/key/generate", fields: KEY_FIELDS, base: () => ({}) },
    { path: "/key/update", fields: KEY_FIELDS, base: () => ({ key: keyHash }) },
    { path: "/key/regenerate", fields: KEY_FIELDS, base: () => ({ key: regenHash }) },
    { path: "/key/delete", fields: ["keys", "key_aliases"], base: () => ({}) },
    { path: "/key/block", fields: ["key"], base: () => ({}) },
    { path: "/team/new", fields: TEAM_FIELDS, base: () => ({ team_id: uniq("team") }) },
    { path: "/team/update", fields: TEAM_FIELDS.filter((f) => f !== "team_id"), base: () => ({ team_id: "team-fixed" }) },
    { path: "/team/member_add", fields: ["team_id", "member", "max_budget_in_team"], base: () => ({ team_id: "team-fixed", member: { role: "user", user_id: uniq("m") } }) },
    { path: "/team/member_delete", fields: ["team_id", "user_id", "user_email"], base: () => ({ team_id: "team-fixed", user_id: "nobody" }) },
    { path: "/team/delete", fields: ["team_ids"], base: () => ({}) },
    { path: "/user/new", fields: USER_FIELDS, base: () => ({ user_id: uniq("user") }) },
    { path: "/user/update", fields: USER_FIELDS.filter((f) => f !== "user_id"), base: () => ({ user_id: "user-fixed" }) },
    { path: "/user/delete", fields: ["user_ids"], base: () => ({}) },
    { path: "/customer/new", fields: CUSTOMER_FIELDS, base: () => ({ user_id: uniq("cust") }) },
    { path: "/customer/update", fields: CUSTOMER_FIELDS, base: () => ({ user_id: "cust-fixed" }) },
    { path: "/customer/block", fields: ["user_ids"], base: () => ({}) },
    { path: "/customer/delete", fields: ["user_ids"], base: () => ({}) },
    { path: "/budget/new", fields: BUDGET_FIELDS, base: () => ({ budget_id: uniq("budget") }) },
    { path: "/budget/update", fields: BUDGET_FIELDS.filter((f) => f !== "budget_id"), base: () => ({ budget_id: "budget-fixed" }) },
    { path: "/budget/info", fields: ["budgets"], base: () => ({}) },
    { path: "/budget/delete", fields: ["id", "budget_id"], base: () => ({}) },
    { path: "/organization/new", fields: ORG_FIELDS, base: () => ({ organization_alias: uniq("org") }) },
    { path: "/organization/info", fields: ["organization_id"], base: () => ({}) },
    { path: "/organization/update", method: "PATCH", fields: ORG_FIELDS, base: () => ({ organization_id: "org-fixed" }) },
    { path: "/organization/member_add", fields: ["organization_id", "member", "max_budget_in_organization"], base: () => ({ organization_id: "org-fixed", member: { role: "internal_user", user_id: uniq("om") } }) },
    { path: "/organization/member_update", method: "PATCH", fields: ["organization_id", "user_id", "user_email", "role", "max_budget_in_organization"], base: () => ({ organization_id: "org-fixed", user_id: "user-fixed" }) },
    { path: "/organization/member_delete", method: "DELETE", fields: ["organization_id", "user_id", "user_email"], base: () => ({ organization_id: "org-fixed", user_id: "nobody" }) },
    { path: "/organization/delete", method: "DELETE", fields: ["organization_ids"], base: () => ({}) },
    { path: "/team/member_update", fields: ["team_id", "user_id", "user_email", "role", "max_budget_in_team", "tpm_limit", "rpm_limit"], base: () => ({ team_id: "team-fixed", user_id: "user-fixed" }) },
    { path: "/global/spend/end_users", fields: ["api_key", "startTime", "endTime"], base: () => ({}) },
    { path: "/spend/calculate", fields: ["model", "messages", "completion_response"], base: () => ({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] }) },
    { path: "/model/new", fields: ["model_name", "litellm_params", "model_info"], base: () => ({ model_name: uniq("model"), litellm_params: { model: "openai/x", api_base: `${fake.url}/v1`, api_key: "k" } }) },
    { path: "/model/update", fields: ["model_name", "litellm_params", "model_info"], base: () => ({ model_info: { id: "no-such-model" } }) },
    { path: "/model/delete", fields: ["id"], base: () => ({}) },
    { path: "/v1/chat/completions", fields: LLM_FIELDS, base: () => ({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] }) },
    { path: "/v1/messages", fields: LLM_FIELDS, base: () => ({ model: "claude-test", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }) },
    { path: "/v1/messages/count_tokens", fields: LLM_FIELDS, base: () => ({ model: "claude-test", messages: [{ role: "user", content: "hi" }] }) },
    { path: "/v1/responses", fields: LLM_FIELDS, base: () => ({ model: "gpt-test", input: "hi" }) },
    { path: "/v1/embeddings", fields: LLM_FIELDS, base: () => ({ model: "gpt-test", input: "hi" }) },
    { path: "/api/agents/hostile/run", fields: ["prompt"], base: () => ({}) },
    { path: "/api/sessions", fields: ["agent", "agent_id", "title", "prompt"], base: () => ({ agent: "hostile" }) },
    { path: "/api/agents/hostile/memory", fields: ["content", "mode", "session_id"], base: () => ({ content: "note" }) },
    { path: "/api/vault/secrets", fields: ["name", "value", "description"], base: () => ({ name: "HOSTILE_SECRET", value: "v" }) },
  ];
}

/** Whole bodies no route may answer with a 5xx. */
const HOSTILE_BODIES: Body[] = [
  deep(100_000),
  deepArray(100_000),
  `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"metadata":${deep(100_000)}}`,
  `{"model":"gpt-test","messages":[{"role":"user","content":${deep(100_000, '"x"')}}]}`,
  `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"metadata":{"spend_logs_metadata":${deep(30_000)}}}`,
  `{${RAW_NUL}:${RAW_NUL},"key":${RAW_NUL},"team_id":${RAW_LONE},"user_id":${RAW_NUL},"model":${RAW_NUL},"prompt":${RAW_LONE}}`,
  `{"\\ud800":"\\udfff","name":${RAW_LONE},"value":${RAW_NUL},"content":${RAW_NUL},"agent":${RAW_LONE}}`,
  '{"max_budget":1e999,"tpm_limit":-1e999,"spend":1e999,"max_tokens":1e999}',
  '{"duration":"99999999999999999d","budget_duration":"99999999999999999mo"}',
  "[]",
  '"just a string"',
  "null",
  "12",
  "{not json",
  "",
];

/** `runId`: a run that exists, so artifact paths reach the artifact lookup. */
function queryCases(runId: string): Case[] {
  const q = (path: string, auth?: string): Case => ({ method: "GET", path, auth });
  const bad = ["%00", "a%00b", "%ED%A0%80", "%ff", "'%3B--", "%uD800"];
  const out: Case[] = [];
  for (const v of bad) {
    out.push(
      q(`/key/info?key=${v}`), q(`/key/list?user_id=${v}&team_id=${v}&key_alias=${v}&key_hash=${v}&sort_by=${v}&page=${v}&size=${v}`),
      q(`/team/info?team_id=${v}`), q(`/user/info?user_id=${v}`), q(`/customer/info?end_user_id=${v}`), q(`/organization/info?organization_id=${v}`),
      q(`/spend/logs?api_key=${v}&request_id=${v}&user_id=${v}`), q(`/global/spend/report?start_date=${v}&end_date=${v}&group_by=${v}`),
      q(`/model/info?litellm_model_id=${v}`), q(`/model_group/info?model_group=${v}`), q(`/v2/model/info?model=${v}&search=${v}&sortBy=${v}&page=${v}&size=${v}`),
      q(`/global/spend/keys?limit=${v}`), q(`/global/spend/models?limit=${v}`), q(`/global/spend/teams?start_date=${v}&end_date=${v}&limit=${v}&offset=${v}`),
      q(`/organization/list?org_id=${v}&org_alias=${v}`),
      ...["user", "team", "organization"].flatMap((e) => [
        q(`/${e}/daily/activity?start_date=${v}&end_date=${v}&page=${v}&page_size=${v}&model=${v}&api_key=${v}&team_ids=${v}&organization_ids=${v}&user_id=${v}`),
        q(`/${e}/daily/activity?start_date=2024-01-01&end_date=2024-01-02&page=${v}&page_size=${v}&model=${v}&api_key=${v}&team_ids=${v}&user_id=${v}`),
      ]),
      q(`/api/runs/${v}`), q(`/api/runs/${v}/events`), q(`/api/runs/${v}/artifacts`), q(`/api/runs/${v}/artifacts/${v}`), q(`/api/runs?limit=${v}&agent_id=${v}&status=${v}`),
      q(`/api/sessions/${v}`), q(`/api/sessions?limit=${v}&agent_id=${v}`), q(`/api/vault/secrets/${v}`), q(`/api/agents/${v}`),
      q(`/api/agents/hostile/memory?version=${v}&session_id=${v}`), q(`/api/runs/${runId}/artifacts/${v}`), q(`/api/runs/${runId}/artifacts/out/${v}/x${v}.txt`),
      { method: "DELETE", path: `/api/sessions/${v}` }, { method: "DELETE", path: `/api/vault/secrets/${v}` }, { method: "DELETE", path: `/api/agents/hostile/memory?session_id=${v}` },
      { method: "POST", path: `/api/runs/${v}/cancel` }, { method: "POST", path: `/api/sessions/${v}/messages`, body: { prompt: "hi" } },
      { method: "POST", path: `/key/${v}/regenerate`, body: {} }, { method: "PATCH", path: `/model/${v}/update`, body: {} },
    );
  }
  out.push(
    q("/spend/logs?start_date=2024-02-31&end_date=2024-03-01"),
    q("/spend/logs?start_date=0001-01-01&end_date=9999-12-31"),
    q("/global/spend/report?start_date=2024-13-01&end_date=2024-13-02"),
    q("/global/spend/report?start_date=0001-01-01&end_date=9999-12-31"),
    q("/key/list?page=99999999999999999999&size=1e999"),
    q("/global/spend/teams?start_date=2024-02-31&end_date=2024-03-01&limit=-1&offset=-5"),
    q("/global/spend/keys?limit=99999999999999999999"),
    q("/user/daily/activity?start_date=2024-02-31&end_date=2024-03-01"),
    q("/user/daily/activity?start_date=0001-01-01&end_date=9999-12-31&page=-1&page_size=1e999"),
    q("/team/daily/activity?start_date=2024-01-01&end_date=2024-01-02&page=99999999999999999999"),
    q("/api/runs?limit=-5"),
    q("/api/agents/hostile/memory?version=99999999999999999999"),
    q("/api/agents/hostile/memory?version=-1.5"),
    // a key without a user: the "no user" filter must not reach Postgres as a NUL
    q("/key/list", "userless"),
    q("/spend/logs", "userless"),
  );
  return out;
}

/** Cases whose answer is pinned: a wrong type reaching a SQL cast is a 422, as FastAPI/pydantic answer it. */
function pinnedCases(): Case[] {
  return [
    { method: "POST", path: "/key/generate", body: { tpm_limit: 1.5 }, want: 422 },
    { method: "POST", path: "/key/generate", body: { models: "gpt-test" }, want: 422 },
    { method: "POST", path: "/key/generate", body: { blocked: "maybe" }, want: 422 },
    { method: "POST", path: "/key/update", body: { key: "KEY", rpm_limit: "1e3x" }, want: 422 },
    { method: "POST", path: "/team/new", body: { team_id: "t-422", models: { a: 1 } }, want: 422 },
    { method: "POST", path: "/user/new", body: { user_id: "u-422", max_budget: "lots" }, want: 422 },
    { method: "POST", path: "/budget/new", body: { budget_id: "b-422", budget_reset_at: "not a time" }, want: 422 },
    { method: "POST", path: "/key/generate", body: { duration: "99999999999999d" }, want: 400 },
    { method: "POST", path: "/key/generate", body: deep(100_000), want: 400 },
    { method: "POST", path: "/team/new", body: { team_id: "t-fk", organization_id: "no-such-org" }, want: 400 },
    { method: "POST", path: "/key/generate", body: { budget_id: "no-such-budget" }, want: 400 },
    { method: "POST", path: "/v1/chat/completions", body: deep(100_000), want: 400 },
    { method: "GET", path: "/spend/logs?start_date=2024-02-31&end_date=2024-03-01", want: 400 },
  ];
}

async function send(c: Case): Promise<{ status: number; text: string }> {
  const key = c.auth === "userless" ? userlessKey : MASTER;
  const body = c.body === undefined ? undefined : typeof c.body === "string" ? c.body : JSON.stringify(c.body).replaceAll("KEY", keyHash);
  try {
    const r = await fetch(`${gw.url}${c.path}`, {
      method: c.method,
      headers: { authorization: `Bearer ${key}`, "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body,
    });
    return { status: r.status, text: await r.text() };
  } catch (e) {
    return { status: 0, text: `${(e as Error).message}; gateway exit ${gw.proc.exitCode}: ${gw.output().slice(-1500)}` };
  }
}

/** The error body in the route's protocol: Anthropic's for /v1/messages, else OpenAI's (LiteLLM's). */
function shapeProblem(path: string, status: number, text: string): string | undefined {
  if (status < 400) return undefined;
  let j: { type?: string; error?: { message?: unknown; type?: unknown } };
  try {
    j = JSON.parse(text);
  } catch {
    return "error body is not JSON";
  }
  if (typeof j.error?.message !== "string") return "no error.message";
  if (path.startsWith("/v1/messages") && j.type !== "error") return "not Anthropic's error shape";
  return undefined;
}

async function runAll(cases: Case[]): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const { status, text } = await send(c);
      const label = `${c.method} ${c.path.slice(0, 120)} ${typeof c.body === "string" ? c.body.slice(0, 80) : JSON.stringify(c.body)?.slice(0, 80)}`;
      const ok = c.want !== undefined ? status === c.want : status < 500 && status !== 0;
      if (!ok) failures.push(`${status} (want ${c.want ?? "<500"}) ${label}: ${text.slice(0, 200)}`);
      else if (c.want === undefined || c.want >= 400) {
        const p = shapeProblem(c.path, status, text);
        if (p) failures.push(`${status} ${p}: ${label}: ${text.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return failures;
}

async function admin(path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${gw.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: JSON.stringify(body) });
  const j = (await r.json()) as Record<string, unknown>;
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

beforeAll(async () => {
  db = await createTestDb("lr_hostile");
  fake = await startFakeLLM();
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p", input_cost_per_token: 0.001, output_cost_per_token: 0.002 } },
        { model_name: "claude-test", litellm_params: { model: "anthropic/claude-upstream", api_base: fake.url, api_key: "sk-a" } },
      ],
      router_settings: { num_retries: 0 },
      general_settings: {
        master_key: MASTER,
        database_url: db.url,
        proxy_batch_write_at: 0.2,
        store_model_in_db: true,
        e2b_sandbox_params: { e2b_api_key: "e2b-none", e2b_api_url: "http://127.0.0.1:9", e2b_sandbox_url: "http://127.0.0.1:9" },
      },
      agents: [{ name: "Hostile", model: "gpt-test", prompt: "hi", timeout: 5 }],
    },
    env: { LITELLM_SALT_KEY: "hostile-salt" },
  });
  await admin("/team/new", { team_id: "team-fixed" });
  await admin("/user/new", { user_id: "user-fixed", auto_create_key: false });
  await admin("/customer/new", { user_id: "cust-fixed" });
  await admin("/budget/new", { budget_id: "budget-fixed" });
  await admin("/organization/new", { organization_id: "org-fixed", organization_alias: "org-fixed" });
  keyHash = String((await admin("/key/generate", { user_id: "user-fixed" })).token);
  regenHash = String((await admin("/key/generate", { user_id: "user-fixed" })).token);
  userlessKey = String((await admin("/key/generate", {})).key);
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
  await db?.drop();
});

describe("hostile input", () => {
  test("every stored field of every JSON route, set to a wrong type or a string Postgres cannot store, gets a 2xx or a 4xx", async () => {
    const cases: Case[] = [];
    for (const r of fieldRoutes()) {
      for (const f of r.fields) for (const v of [...WRONG_TYPES, ...HOSTILE_STRINGS]) cases.push({ method: r.method ?? "POST", path: r.path, body: { ...r.base(), [f]: v } });
    }
    const failures = await runAll(cases);
    console.log(`${cases.length} field cases, ${failures.length} failed`);
    expect(failures).toEqual([]);
  }, 300_000);

  test("whole bodies (100,000-deep nesting, NUL characters, lone surrogates, non-objects) on every JSON route get a 4xx", async () => {
    const cases: Case[] = [];
    for (const r of fieldRoutes()) for (const b of HOSTILE_BODIES) cases.push({ method: r.method ?? "POST", path: r.path, body: b });
    const failures = await runAll(cases);
    console.log(`${cases.length} body cases, ${failures.length} failed`);
    expect(failures).toEqual([]);
  }, 300_000);

  test("hostile query strings and paths (%00, lone surrogates, impossible dates, the no-user filter) on GET and path routes", async () => {
    const run = await send({ method: "POST", path: "/api/agents/hostile/run", body: {} });
    expect(run.status).toBe(202);
    const runId = (JSON.parse(run.text) as { run_id: string }).run_id;
    const cases = queryCases(runId);
    const failures = await runAll(cases);
    console.log(`${cases.length} query cases, ${failures.length} failed`);
    expect(failures).toEqual([]);
  }, 120_000);

  test("pinned answers: 422 for a wrong type at a SQL cast, 400 for impossible durations, nesting, unknown references and dates", async () => {
    keyHash = String((await admin("/key/generate", { user_id: "user-fixed" })).token);
    const failures = await runAll(pinnedCases());
    expect(failures).toEqual([]);
  }, 60_000);

  test("the gateway is still healthy and writes spend after the table", async () => {
    const r = await send({ method: "POST", path: "/v1/chat/completions", body: { model: "gpt-test", messages: [{ role: "user", content: "after" }] } });
    expect(r.status).toBe(200);
    expect((await fetch(`${gw.url}/health/readiness`)).status).toBe(200);
    const id = (JSON.parse(r.text) as { id: string }).id;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !(await db.sql`SELECT 1 FROM "LiteLLM_SpendLogs" WHERE request_id = ${id}`).length) await Bun.sleep(100);
    expect((await db.sql`SELECT 1 FROM "LiteLLM_SpendLogs" WHERE request_id = ${id}`).length).toBe(1);
  }, 30_000);
});
