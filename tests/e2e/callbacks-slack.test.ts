import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startSlackWebhook, type Recorder } from "../fakes/http-recorder.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { insert, insertKey } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";
import { TcpProxy } from "../helpers/tcp-proxy.ts";

/**
 * `general_settings.alerting: ["slack"]` with SLACK_WEBHOOK_URL, alerting_threshold,
 * alert_to_webhook_url and alerting_args, against fake Slack incoming webhooks; Postgres behind a
 * TCP relay the test can cut.
 */
const MASTER = "sk-master-slack";
let db: TestDb;
let pg: TcpProxy;
let fake: FakeLLM;
let failing: FakeLLM;
let slack: Recorder;
let budgetSlack: Recorder;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeLLM();
  failing = await startFakeLLM({ control: { failStatus: 429, failCount: -1 } });
  slack = await startSlackWebhook();
  budgetSlack = await startSlackWebhook();
  db = await createTestDb("lr_slack");
  const u = new URL(db.url);
  pg = new TcpProxy(u.hostname, Number(u.port || 5432)).start();
  u.host = `127.0.0.1:${pg.port}`;
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gpt", litellm_params: { model: "openai/gpt-4o", api_base: `${fake.url}/v1`, api_key: "sk-openai-upstream-4", input_cost_per_token: 0.001, output_cost_per_token: 0.001 } },
        { model_name: "pair", litellm_params: { model: "openai/gpt-4o", api_base: `${failing.url}/v1`, api_key: "sk-openai-upstream-4", order: 1 } },
        { model_name: "pair", litellm_params: { model: "openai/gpt-4o-mini", api_base: `${fake.url}/v1`, api_key: "sk-openai-upstream-4", order: 2 } },
      ],
      router_settings: { num_retries: 0, cooldown_time: 60 },
      general_settings: {
        master_key: MASTER,
        database_url: u.toString(),
        alerting: ["slack"],
        alerting_threshold: 1,
        alert_to_webhook_url: { budget_alerts: `${budgetSlack.url}/budgets` },
        alerting_args: { daily_report_frequency: 2, report_check_interval: 0.2, budget_alert_ttl: 3600 },
      },
    },
    env: { SLACK_WEBHOOK_URL: `${slack.url}/alerts`, DEFAULT_FLUSH_INTERVAL_SECONDS: "1", PROXY_BASE_URL: "https://gateway.example" },
  });
  await insert(db.sql, "LiteLLM_TeamTable", { team_id: "team-small", team_alias: "Small Team", models: [], members_with_roles: [], metadata: {}, max_budget: 0.001 } as never);
  await insertKey(db.sql, "sk-small-budget-0001", { key_alias: "small", max_budget: 0.001 });
  await insertKey(db.sql, "sk-team-member-0002", { key_alias: "member", team_id: "team-small" });
});

afterAll(async () => {
  await gw?.stop();
  pg?.cut();
  await Promise.all([fake?.stop(), failing?.stop(), slack?.stop(), budgetSlack?.stop()]);
  await db?.drop();
}, 30_000);

beforeEach(() => {
  fake.reset();
  fake.control({});
});

const texts = (r: Recorder) => r.received.map((x) => (JSON.parse(x.text) as { text: string }).text);
const waitForText = (r: Recorder, pred: (t: string) => boolean, what: string) => r.waitFor((rs) => rs.map((x) => (JSON.parse(x.text) as { text: string }).text).filter(pred), 15_000, what);

function chat(model: string, content: string, key = MASTER, extra: Record<string, unknown> = {}) {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content }], ...extra }),
  });
}

describe("Slack alerting", () => {
  test("a flood of LLM API failures is one message, counted: [Num Alerts: N]; Level, Timestamp, Message and the proxy URL as LiteLLM writes them", async () => {
    fake.control({ failStatus: 500, failCount: 8 });
    const statuses = await Promise.all(Array.from({ length: 8 }, (_, i) => chat("gpt", `flood ${i}`).then((r) => r.status)));
    expect(statuses).toEqual(Array(8).fill(500));
    const [msg] = await waitForText(slack, (t) => t.includes("LLM API call failed"), "the failure alert");
    expect(msg).toStartWith("[Num Alerts: 8]\n\nLevel: `High`\nTimestamp: `");
    expect(msg).toContain("Message: LLM API call failed: `litellm.InternalServerError");
    expect(msg).toContain("Request Model: `gpt`");
    expect(msg).toContain("Proxy URL: `https://gateway.example`");
    expect(texts(slack).filter((t) => t.includes("LLM API call failed")).length).toBe(1);
    const outage = await waitForText(slack, (t) => t.includes("Service Outage"), "the outage alert");
    expect(outage.join("\n")).toContain("*Model Name:* `gpt`");
  }, 20_000);

  test("a hanging request is reported while it runs, then as slow when it ends", async () => {
    fake.control({ delayMs: 2500 });
    const done = chat("gpt", "take your time");
    const [hanging] = await waitForText(slack, (t) => t.includes("Requests are hanging"), "the hanging alert");
    expect(hanging).toContain("`Requests are hanging - 1s+ request time`");
    expect(hanging).toContain("take your time");
    expect((await done).status).toBe(200);
    const [slow] = await waitForText(slack, (t) => t.includes("Responses are slow"), "the slow alert");
    expect(slow).toMatch(/Responses are slow - [\d.]+s response time > Alerting threshold: 1s/);
  }, 20_000);

  test("a deployment put in cooldown is reported with its model group and API base", async () => {
    const r = await chat("pair", "cool it", MASTER, { num_retries: 2 });
    expect(r.status).toBe(200);
    const [msg] = await waitForText(slack, (t) => t.includes("Deployment Cooled Down") && t.includes("`pair`"), "the cooldown alert");
    expect(msg).toContain("Model Group: `pair`");
    expect(msg).toContain(`API Base: \`${failing.url}/v1\``);
  }, 20_000);

  test("key and team budgets crossed go to the budget webhook (alert_to_webhook_url), once", async () => {
    expect((await chat("gpt", "spend it", "sk-small-budget-0001")).status).toBe(200);
    expect((await chat("gpt", "spend it too", "sk-team-member-0002")).status).toBe(200);
    const key = await waitForText(budgetSlack, (t) => t.includes("Key Budget: Budget Crossed"), "the key budget alert");
    const team = await waitForText(budgetSlack, (t) => t.includes("Team Budget: Budget Crossed"), "the team budget alert");
    expect(key[0]).toContain("key_alias: small");
    expect(team[0]).toContain("team_id: team-small");
    await chat("gpt", "over budget now", "sk-small-budget-0001");
    await Bun.sleep(1500);
    expect(texts(budgetSlack).filter((t) => t.includes("Key Budget: Budget Crossed")).length).toBe(1);
    expect(texts(slack).filter((t) => t.includes("Budget Crossed"))).toEqual([]);
  }, 20_000);

  test("daily report (failed and slow deployments) and spend report arrive at daily_report_frequency", async () => {
    const [report] = await waitForText(slack, (t) => t.includes("Top Deployments with Most Failed Requests"), "the daily report");
    expect(report).toContain("Here are today's key metrics");
    expect(report).toMatch(/Deployment: `openai\/gpt-4o`, Failed Requests: `\d+`/);
    const [spend] = await waitForText(slack, (t) => t.includes("Spend Report"), "the spend report");
    expect(spend).toContain("*Top Model Groups:*");
    expect(spend).toMatch(/gpt: `\$0\.\d+`/);
  }, 20_000);

  test("the database becoming unreachable is reported once", async () => {
    pg.cut();
    await chat("gpt", "who am I", "sk-unknown-key-0003");
    const alerts = await waitForText(slack, (t) => t.includes("DB read/write call failed"), "the database alert");
    expect(alerts.length).toBe(1);
    expect(alerts[0]).toContain("Level: `High`");
  }, 20_000);
});
