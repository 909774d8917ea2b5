import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, writeConfig, type GatewayProcess } from "../helpers/gateway.ts";
import { chat, insert, insertBudget, insertKey, waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

/**
 * Budgets and TPM limits under concurrency: every call reserves its estimated cost and tokens
 * before it is forwarded, two instances share the reservations and the settled spend through
 * Redis (127.0.0.1:6379). The fake answers every call with the same usage, so each costs the same.
 */
const MASTER = "sk-master-reservations";
const BODY = { model: "gpt-test", messages: [{ role: "user", content: "hi" }] };
let db: TestDb;
let fake: FakeLLM;
let a: GatewayProcess;
let b: GatewayProcess;
let solo: GatewayProcess;
/** The cost of one call (the same for every call of BODY). */
let cost = 0;

const run = crypto.randomUUID().slice(0, 8);
const rawKey = (name: string) => `sk-res-${run}-${name}`;
const TAG = `tag-${run}`;

beforeAll(async () => {
  db = await createTestDb("lr_reservations");
  await loadLiteLLMSchema(db.sql);
  fake = await startFakeLLM();
  // A tag budget with $0.005 left (LiteLLM_TagTable linked to a budget), read by the gateways at start.
  await insertBudget(db.sql, `b-${TAG}`, { max_budget: 0.3 });
  await insert(db.sql, "LiteLLM_TagTable", { tag_name: TAG, budget_id: `b-${TAG}`, spend: 0.3 - 0.005, created_by: "test" });
  const config = (redis: boolean) => ({
    model_list: [
      {
        model_name: "gpt-test",
        litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p", input_cost_per_token: 0.002, output_cost_per_token: 0.001 },
      },
    ],
    router_settings: { num_retries: 0, ...(redis ? { redis_host: "127.0.0.1", redis_port: 6379 } : {}) },
    general_settings: { master_key: MASTER, database_url: db.url, proxy_batch_write_at: 1 },
  });
  const shared = writeConfig(config(true));
  [a, b, solo] = await Promise.all([startGateway({ configPath: shared }), startGateway({ configPath: shared }), startGateway({ config: config(false) })]);
  // Each instance learns what a call of this model usually costs and returns.
  for (const g of [a, b, solo]) {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${g.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${MASTER}` }, body: JSON.stringify(BODY) });
      expect(r.status).toBe(200);
      cost = Number(r.headers.get("x-litellm-response-cost"));
      await r.arrayBuffer();
    }
  }
  expect(cost).toBeGreaterThan(0.005);
}, 60_000);

afterAll(async () => {
  await Promise.all([a, b, solo].map((g) => g?.stop()));
  await fake?.stop();
  await db?.drop();
});

/** `n` calls at once, alternating between the instances given; the statuses and error types. */
/** rpm and tpm count in fixed 60 s windows: a test that counts to a limit starts where it ends in the same window. */
async function inOneWindow(needSeconds: number): Promise<void> {
  const left = 60 - ((Date.now() / 1000) % 60);
  if (left < needSeconds) await Bun.sleep(left * 1000 + 200);
}

/** A test that may wait for the next window (`inOneWindow`) needs up to a window more than the default 5 s. */
const WINDOW_WAIT_MS = 70_000;

async function burst(n: number, instances: GatewayProcess[], key: string, body: Record<string, unknown> = BODY) {
  const res = await Promise.all(Array.from({ length: n }, (_, i) => chat(instances[i % instances.length]!.url, key, body)));
  const ok = res.filter((r) => r.status === 200).length;
  const refused = res.filter((r) => r.status !== 200);
  return { ok, refused };
}

describe("budgets hold under concurrent calls", () => {
  test("a key with $0.005 left: of 50 concurrent calls over two instances at most one per instance is answered", async () => {
    fake.control({ delayMs: 300 });
    const key = rawKey("key-edge");
    await insertKey(db.sql, key, { max_budget: 1, spend: 1 - 0.005 });
    const { ok, refused } = await burst(50, [a, b], key);
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(2);
    expect(0.995 + ok * cost - 1).toBeLessThanOrEqual(2 * cost);
    for (const r of refused) {
      expect(r.status).toBe(400);
      expect(r.body.error!.type).toBe("budget_exceeded");
      expect(r.body.error!.message).toMatch(/^Budget has been exceeded! (Key=[0-9a-f]{64} )?Current cost: [0-9.e-]+, Max budget: 1$/);
    }
  });

  test("without Redis, one instance answers at most one call past the budget", async () => {
    fake.control({ delayMs: 300 });
    const key = rawKey("key-solo");
    await insertKey(db.sql, key, { max_budget: 1, spend: 1 - 0.005 });
    const { ok } = await burst(50, [solo], key);
    expect(ok).toBe(1);
  });

  test("a team budget: 50 concurrent calls from five of its keys on two instances", async () => {
    fake.control({ delayMs: 300 });
    const team = `team-${run}`;
    await insert(db.sql, "LiteLLM_TeamTable", { team_id: team, max_budget: 0.5, spend: 0.5 - 0.005, models: [] });
    const keys = Array.from({ length: 5 }, (_, i) => rawKey(`team-${i}`));
    for (const k of keys) await insertKey(db.sql, k, { team_id: team });
    const res = await Promise.all(Array.from({ length: 50 }, (_, i) => chat((i % 2 ? a : b).url, keys[i % 5]!, BODY)));
    const ok = res.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(2);
    const refusal = res.find((r) => r.status !== 200)!;
    expect(refusal.body.error!.type).toBe("budget_exceeded");
    expect(refusal.body.error!.message).toContain(`Team=${team}`);
  });

  test("an end-user budget: 50 concurrent calls naming the customer", async () => {
    fake.control({ delayMs: 300 });
    const customer = `cust-${run}`;
    await insertBudget(db.sql, `b-${customer}`, { max_budget: 0.2 });
    await insert(db.sql, "LiteLLM_EndUserTable", { user_id: customer, budget_id: `b-${customer}`, spend: 0.2 - 0.005 });
    const key = rawKey("end-user");
    await insertKey(db.sql, key, {});
    const { ok, refused } = await burst(50, [a, b], key, { ...BODY, user: customer });
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(2);
    expect(refused[0]!.body.error!.message).toContain(`EndUser=${customer}`);
  });

  test("a tag budget: 50 concurrent calls carrying the tag; its spend reaches LiteLLM_TagTable", async () => {
    fake.control({ delayMs: 300 });
    const key = rawKey("tagged");
    await insertKey(db.sql, key, {});
    const { ok, refused } = await burst(50, [a, b], key, { ...BODY, metadata: { tags: [TAG] } });
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(2);
    expect(refused[0]!.body.error!.type).toBe("budget_exceeded");
    expect(refused[0]!.body.error!.message).toContain(`Tag=${TAG}`);
    const spend = await waitFor(async () => {
      const [r] = await db.sql<Array<{ spend: number }>>`SELECT spend FROM "LiteLLM_TagTable" WHERE tag_name = ${TAG}`;
      return r!.spend > 0.3 - 0.005 + cost / 2 ? r!.spend : undefined;
    }, 10_000, "the tag's spend to be written");
    expect(spend).toBeCloseTo(0.3 - 0.005 + ok * cost, 9);
    const after = await chat(a.url, key, { ...BODY, metadata: { tags: [TAG] } });
    expect(after.body.error!.message).toMatch(new RegExp(`^Budget has been exceeded! Tag=${TAG} Current cost: `));
  });

  test("a budget that covers ten calls in flight admits all ten at once, and one more at most", async () => {
    fake.control({ delayMs: 300 });
    const key = rawKey("wide");
    await insertKey(db.sql, key, { max_budget: 10.5 * cost, spend: 0 });
    const { ok } = await burst(14, [a, b], key);
    expect(ok).toBe(11);
  });

  test("spend settled on one instance is seen by the other at once (before any database write)", async () => {
    fake.control({ delayMs: 0 });
    const key = rawKey("alternate");
    await insertKey(db.sql, key, { max_budget: 2.5 * cost, spend: 0 });
    const statuses: number[] = [];
    for (const g of [a, b, a, b, a, b]) statuses.push((await chat(g.url, key, BODY)).status);
    expect(statuses).toEqual([200, 200, 200, 400, 400, 400]);
  });
});

describe("tpm limits count the tokens of calls in flight", () => {
  test("a burst of 100 calls gets through only what fits in the limit", async () => {
    fake.control({ delayMs: 300 });
    const key = rawKey("tpm");
    // Each call returns 9 output tokens (the limit's default count): 45 tokens fit five calls.
    await insertKey(db.sql, key, { tpm_limit: 45 });
    await inOneWindow(15);
    const { ok, refused } = await burst(100, [a, b], key);
    expect(ok).toBeGreaterThanOrEqual(5);
    expect(ok).toBeLessThanOrEqual(6);
    expect(refused[0]!.status).toBe(429);
    expect(refused[0]!.body.error!.message).toContain("Limit type: tokens. Current limit: 45");
  }, WINDOW_WAIT_MS);
});

describe("rpm limits are exact across instances, shares included", () => {
  test("rpm_limit 40 (too small for shares): of 60 concurrent calls over two instances exactly 40 are answered", async () => {
    fake.control({ delayMs: 300 });
    const key = rawKey("rpm");
    await insertKey(db.sql, key, { rpm_limit: 40 });
    await inOneWindow(15);
    const { ok, refused } = await burst(60, [a, b], key);
    expect(ok).toBe(40);
    expect(refused[0]!.status).toBe(429);
    expect(refused[0]!.body.error!.message).toContain("Limit type: requests. Current limit: 40");
  }, WINDOW_WAIT_MS);

  test("rpm_limit 300: calls alternating between two instances are answered until exactly 300 (on shares while far from the limit)", async () => {
    fake.control({ delayMs: 0 });
    const key = rawKey("rpm-shares");
    await insertKey(db.sql, key, { rpm_limit: 300 });
    await inOneWindow(40);
    let ok = 0;
    let refusedInARow = 0;
    for (let i = 0; refusedInARow < 4 && i < 400; i++) {
      const r = await chat((i % 2 ? b : a).url, key, BODY);
      if (r.status === 200) {
        ok++;
        refusedInARow = 0;
      } else {
        expect(r.status).toBe(429);
        refusedInARow++;
      }
    }
    expect(ok).toBe(300);
  }, WINDOW_WAIT_MS);
});

describe("reservations are released however a call ends", () => {
  test("failed calls, a cut stream and a client that went away leave the budget free for the next call", async () => {
    const key = rawKey("release");
    // Half a call's cost: one call in flight holds the whole budget, so a call is only admitted
    // (and reaches the failing upstream: 500, not 400) once every earlier one released its reservation.
    await insertKey(db.sql, key, { max_budget: 0.5 * cost, spend: 0 });
    const failing = { failStatus: 500, failCount: -1 };
    const admittedOn = (g: GatewayProcess) => waitFor(async () => (await chat(g.url, key, BODY)).status === 500, 10_000, "a call to be admitted");
    fake.control(failing);
    // The error answer waits for the release, so the client's next call is never refused for it.
    for (const g of [a, b, a]) expect((await chat(g.url, key, BODY)).status).toBe(500);
    fake.control({ chunkDelayMs: 30, breakAfterChunks: 4 });
    const cut = await fetch(`${a.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ ...BODY, stream: true }) });
    expect(cut.status).toBe(200);
    expect(await cut.text()).toContain("upstream stream failed");
    fake.control(failing);
    await admittedOn(b);
    fake.control({ delayMs: 3000 });
    const seen = fake.requests.length;
    const gone = new AbortController();
    const pending = fetch(`${b.url}/v1/chat/completions`, { method: "POST", signal: gone.signal, headers: { authorization: `Bearer ${key}` }, body: JSON.stringify(BODY) }).catch(() => undefined);
    await waitFor(async () => fake.requests.length > seen, 10_000, "the call to reach the upstream");
    const held = await chat(a.url, key, BODY);
    expect(held.status).toBe(400);
    expect(held.body.error!.type).toBe("budget_exceeded");
    gone.abort();
    await pending;
    fake.control(failing);
    await admittedOn(a);
  }, 30_000);
});

/** Sequential calls alternating between instances; the statuses. */
async function alternate(instances: GatewayProcess[], key: string, body: Record<string, unknown>, n = 6) {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await chat(instances[i % instances.length]!.url, key, body)).status);
  return out;
}

describe("per-session budgets are reserved and shared like the other budgets", () => {
  test("50 concurrent calls of one session at its budget's edge over two instances: at most one per instance; another session of the key goes on", async () => {
    fake.control({ delayMs: 300 });
    const key = rawKey("session-edge");
    await insertKey(db.sql, key, { metadata: { max_session_budget: cost + 0.005 } });
    const session = `edge-${run}`;
    // One call spends the session down to $0.005 left (on one instance; the other learns it through Redis).
    expect((await chat(a.url, key, { ...BODY, litellm_session_id: session })).status).toBe(200);
    const { ok, refused } = await burst(50, [a, b], key, { ...BODY, litellm_session_id: session });
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(2);
    for (const r of refused) {
      expect(r.status).toBe(400);
      expect(r.body.error!.type).toBe("budget_exceeded");
      expect(r.body.error!.message).toStartWith(`Session budget reached: this session (${session}) has spent $`);
      expect(r.body.error!.message).toContain("per session (max_session_budget)");
    }
    const other = await Promise.all([a, b].map((g) => chat(g.url, key, { ...BODY, litellm_session_id: `other-${run}` })));
    expect(other.map((r) => r.status)).toEqual([200, 200]);
  });

  test("the team's per-session budget: a session's spend settled on one instance is seen by the other at once", async () => {
    fake.control({ delayMs: 0 });
    const team = `team-sessions-${run}`;
    await insert(db.sql, "LiteLLM_TeamTable", { team_id: team, team_alias: "fleet", models: [], metadata: { max_session_budget: 2.5 * cost } });
    const key = rawKey("session-alt");
    await insertKey(db.sql, key, { team_id: team, metadata: { max_session_budget: 100 } });
    const body = { ...BODY, litellm_session_id: `alt-${run}` };
    expect(await alternate([a, b], key, body)).toEqual([200, 200, 200, 400, 400, 400]);
    const refusal = await chat(b.url, key, body);
    expect(refusal.body.error!.message).toContain("the team 'fleet' allows");
    expect(await alternate([b, a], key, { ...BODY, litellm_session_id: `alt2-${run}` }, 2)).toEqual([200, 200]);
  });
});

describe("per-model and proxy budgets count the other instances' settled spend at once", () => {
  test("a key's per-model budget (model_max_budget)", async () => {
    fake.control({ delayMs: 0 });
    const key = rawKey("model-alt");
    const hash = await insertKey(db.sql, key, { model_max_budget: { "gpt-test": { budget_limit: 2.5 * cost, time_period: "30d" } } });
    expect(await alternate([a, b], key, BODY)).toEqual([200, 200, 200, 400, 400, 400]);
    const refusal = await chat(b.url, key, BODY);
    expect(refusal.body.error!.message).toMatch(new RegExp(`(Key=${hash} model=gpt-test Current cost|exceeded budget for model=gpt-test)`));
  });

  test("the proxy budget (litellm_settings.max_budget)", async () => {
    fake.control({ delayMs: 0 });
    // Its own database, so that the proxy's 30-day spend is this test's alone; output tokens only
    // are priced and the body caps them at what the fake returns, so a first call's estimate is its cost.
    const own = await createTestDb("lr_reservations_proxy");
    await loadLiteLLMSchema(own.sql);
    const callCost = 9 * 0.001;
    const config = writeConfig({
      model_list: [
        {
          model_name: "gpt-test",
          litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-p", input_cost_per_token: 0, output_cost_per_token: 0.001 },
        },
      ],
      litellm_settings: { max_budget: 2.5 * callCost },
      router_settings: { num_retries: 0, redis_host: "127.0.0.1", redis_port: 6379 },
      general_settings: { master_key: MASTER, database_url: own.url, proxy_batch_write_at: 1 },
    });
    const pair = await Promise.all([startGateway({ configPath: config }), startGateway({ configPath: config })]);
    try {
      const key = rawKey("proxy-alt");
      await insertKey(own.sql, key, {});
      const body = { ...BODY, max_tokens: 9 };
      const first = await chat(pair[0]!.url, key, body);
      expect(Number(first.headers.get("x-litellm-response-cost"))).toBeCloseTo(callCost, 12);
      expect(await alternate([pair[1]!, pair[0]!], key, body, 5)).toEqual([200, 200, 400, 400, 400]);
      const refusal = await chat(pair[1]!.url, key, body);
      expect(refusal.body.error!.type).toBe("budget_exceeded");
      expect(refusal.body.error!.message).toMatch(/Proxy=litellm-proxy Current cost|LiteLLM Proxy has exceeded its budget/);
    } finally {
      await Promise.all(pair.map((g) => g.stop()));
      await own.drop();
    }
  }, 30_000);
});
