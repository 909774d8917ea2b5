import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import type { Page } from "playwright-core";
import { startFakeE2B, type FakeE2B } from "../fakes/e2b.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { launchBrowser, type TestBrowser } from "../helpers/browser.ts";
import { ROOT, startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";
import { waitFor } from "../helpers/litellm-db.ts";

/**
 * The admin UI in Debian's Chromium, against the gateway as a process with a fresh Postgres, the fake
 * LLM and the fake E2B. Screenshots go to docs/screenshots/ with UPDATE_SCREENSHOTS=1 (else a temp dir).
 */
const MASTER = "sk-ui-master-key-0001";
const CLAUDE = realpathSync(join(ROOT, "node_modules/.bin/claude"));
const SHOTS = process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs/screenshots") : mkdtempSync(join(tmpdir(), "lr-ui-shots-"));
mkdirSync(SHOTS, { recursive: true });

let db: TestDb;
let llm: FakeLLM;
let e2b: FakeE2B;
let gw: GatewayProcess;
let b: TestBrowser;
let page: Page;
/** The browser's last requests, shown with a failing test's error. */
const net: string[] = [];
let netStart = 0;

beforeAll(async () => {
  [db, llm, e2b] = await Promise.all([createTestDb("lr_ui"), startFakeLLM(), startFakeE2B({ apiKey: "e2b-test-key" })]);
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gpt-4o-mini", litellm_params: { model: "openai/gpt-4o-mini", api_base: `${llm.url}/v1`, api_key: "sk-provider-openai" } },
        { model_name: "claude-agent", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: llm.url, api_key: "sk-ant-provider-0002" } },
        { model_name: "flaky", litellm_params: { model: "openai/gpt-4o", api_base: `${llm.url}/v1`, api_key: "sk-provider-openai" } },
      ],
      router_settings: { allowed_fails: 0, cooldown_time: 300, num_retries: 0 },
      general_settings: {
        master_key: MASTER,
        database_url: db.url,
        proxy_batch_write_at: 1,
        agent_claude_path: CLAUDE,
        e2b_sandbox_params: { e2b_api_key: "e2b-test-key", e2b_api_url: e2b.url, e2b_sandbox_url: e2b.url },
      },
      agents: [{ name: "Greeter", description: "Says hello", model: "claude-agent", prompt: "say hi", timeout: 60, schedule: "0 3 * * *" }],
    },
  });
  // The UI's pages are loaded on their first request: done here, not inside the first test's time.
  expect((await fetch(`${gw.url}/ui/login`)).status).toBe(200);
  b = await launchBrowser();
  page = b.page;
  const t0 = (netStart = Date.now());
  const note = (line: string) => void (net.push(`${Date.now() - t0} ms ${line}`), net.length > 60 && net.shift());
  page.on("request", (r) => note(`request ${r.method()} ${r.url()}`));
  page.on("response", (r) => note(`response ${r.status()} ${r.url()}`));
  page.on("requestfailed", (r) => note(`failed ${r.url()}: ${r.failure()?.errorText}`));
}, 60_000);

afterAll(async () => {
  await b?.close();
  await gw?.stop();
  await Promise.all([llm?.stop(), e2b?.stop()]);
  await db?.drop();
});

const url = (p: string) => `${gw.url}${p}`;
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

async function login(key: string): Promise<void> {
  await page.goto(url("/ui/login"));
  await page.getByLabel("Master key or virtual key").fill(key);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(url("/ui"));
}

async function logout(): Promise<void> {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(/\/ui\/login$/);
}

async function createKey(alias: string, opts: { budget?: string; rpm?: string; models?: string[]; expires?: string } = {}): Promise<string> {
  await page.goto(url("/ui/keys"));
  const form = page.getByTestId("create-key-form");
  if (!(await form.isVisible())) await page.getByText("+ Create key").click();
  await form.getByLabel("Alias").fill(alias);
  if (opts.budget) await form.getByLabel("Max budget (USD)").fill(opts.budget);
  if (opts.rpm) await form.getByLabel("RPM limit").fill(opts.rpm);
  if (opts.expires) await form.getByLabel("Expires after").selectOption(opts.expires);
  for (const m of opts.models ?? []) await form.getByLabel(m, { exact: true }).check();
  await form.getByRole("button", { name: "Create key" }).click();
  await page.waitForURL(url("/ui/keys"));
  const secret = (await page.getByTestId("new-secret").textContent())!.trim();
  expect(secret).toMatch(/^sk-/);
  return secret;
}

/** Reloads `path` until `check` passes (the spend writer runs every second). */
async function eventually(path: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    await page.goto(url(path));
    if (await check()) return;
    if (Date.now() > end) throw new Error(`${path}: condition not met in ${timeoutMs} ms`);
    await Bun.sleep(500);
  }
}

async function chat(key: string, model = "gpt-4o-mini"): Promise<OpenAI.Chat.Completions.ChatCompletion> {
  const client = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  return client.chat.completions.create({ model, messages: [{ role: "user", content: "hello from the ui test" }] });
}

/**
 * What a failing UI test saw: the browser's last requests, where the page is, whether the gateway
 * still answers, what its database connections are doing and the gateway's last output.
 */
async function diagnostics(): Promise<string> {
  const started = Date.now();
  const probe = await fetch(url("/health/liveliness"), { signal: AbortSignal.timeout(5000) }).then(
    (r) => `${r.status} in ${Date.now() - started} ms`,
    (e: Error) => e.message,
  );
  const activity = await db.sql`SELECT state, wait_event_type, wait_event, now() - query_start AS running, left(query, 120) AS query FROM pg_stat_activity WHERE datname = ${db.name}`.then(
    (rows) => rows.map((r) => JSON.stringify(r)).join("\n"),
    (e: Error) => e.message,
  );
  // The browser's own clock: when the document and each resource really arrived, against when this process heard of it.
  const timing = await Promise.race([
    page.evaluate(() =>
      JSON.stringify({
        timeOrigin: performance.timeOrigin,
        navigation: (performance.getEntriesByType("navigation") as PerformanceNavigationTiming[]).map((n) => ({
          name: n.name,
          status: n.responseStatus,
          requestStart: n.requestStart,
          responseStart: n.responseStart,
          responseEnd: n.responseEnd,
          domInteractive: n.domInteractive,
          loaded: n.loadEventEnd,
        })),
        resources: (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).map((r) => ({ name: r.name, startTime: r.startTime, responseEnd: r.responseEnd })),
      }),
    ),
    Bun.sleep(5000).then(() => "no answer from the page in 5 s"),
  ]).catch((e: Error) => e.message);
  return [`page: ${page.url()}`, `gateway liveliness: ${probe}`, `browser requests (ms after ${netStart}):`, ...net, `browser timing: ${timing}`, "database connections:", activity, "gateway output:", gw.output().slice(-3000)].join("\n");
}

/** A UI test whose failure carries its diagnostics. */
function uiTest(name: string, fn: () => Promise<void>, timeoutMs?: number): void {
  test(
    name,
    async () => {
      try {
        await fn();
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        err.message += `\n--- diagnostics\n${await diagnostics().catch((d: Error) => d.message)}`;
        throw err;
      }
    },
    timeoutMs,
  );
}

let adminKeySecret = "";

describe("admin UI", () => {
  uiTest("login: a wrong key is refused without echoing it; the master key logs in; the session cookie is sealed, HttpOnly and SameSite=Strict", async () => {
    await page.goto(url("/ui/keys"));
    await page.waitForURL(/\/ui\/login\?next=%2Fui%2Fkeys/);
    await page.getByLabel("Master key or virtual key").fill("sk-not-a-real-key-123456");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByTestId("login-error").textContent()).resolves.toContain("not accepted");
    expect(await page.content()).not.toContain("sk-not-a-real-key-123456");
    await shot("login");
    b.errors.length = 0; // the refused login's 401 is logged by Chromium as a failed resource

    await login(MASTER);
    expect(await page.getByTestId("who").textContent()).toContain("Proxy admin");
    const cookie = (await b.context.cookies()).find((c) => c.name === "litellm_ui_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", secure: false, path: "/ui" });
    expect(cookie.value).not.toContain(MASTER);
    expect(Buffer.from(cookie.value, "base64url").toString("latin1")).not.toContain(MASTER);
    expect(b.errors).toEqual([]);
  }, 30_000);

  uiTest("behind TLS (X-Forwarded-Proto: https) the cookies are Secure", async () => {
    const first = await fetch(url("/ui/login"), { headers: { "x-forwarded-proto": "https" } });
    const loginCookie = first.headers.getSetCookie().find((c) => c.startsWith("litellm_ui_login="))!;
    expect(loginCookie).toMatch(/; Secure/);
    const token = /name="_csrf" value="([^"]+)"/.exec(await first.text())![1]!;
    const res = await fetch(url("/ui/login"), {
      method: "POST",
      redirect: "manual",
      headers: { "x-forwarded-proto": "https", cookie: loginCookie.split(";")[0]!, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: token, key: MASTER }),
    });
    expect(res.status).toBe(303);
    const session = res.headers.getSetCookie().find((c) => c.startsWith("litellm_ui_session="))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; SameSite=Strict/);
  });

  uiTest("create a key (shown once), use it through the API, and see that request's spend in the spend logs, the CSV export and the overview", async () => {
    adminKeySecret = await createKey("ui-e2e-key", { budget: "5", rpm: "100", models: ["gpt-4o-mini"], expires: "30d" });
    await shot("key-created");
    const row = page.locator('tr[data-key-alias="ui-e2e-key"]');
    await expect(row.textContent()).resolves.toContain("gpt-4o-mini");
    await expect(row.textContent()).resolves.toContain("$0 / $5.00");
    await page.reload();
    expect(await page.content()).not.toContain(adminKeySecret);
    expect(await page.getByTestId("new-secret").count()).toBe(0);

    const completion = await chat(adminKeySecret);
    expect(completion.choices[0]!.message.content).toBeTruthy();
    await expect(chat(adminKeySecret, "claude-agent")).rejects.toThrow(/401/);

    const spendRow = page.locator(`tr[data-request-id="${completion.id}"]`);
    await eventually("/ui/spend", async () => (await spendRow.count()) === 1);
    expect(await spendRow.textContent()).toContain("ui-e2e-key");
    const spendText = (await spendRow.getByTestId("row-spend").textContent())!;
    expect(Number(spendText.replace("$", ""))).toBeGreaterThan(0);

    await page.getByLabel("Key").selectOption({ label: "ui-e2e-key" });
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/key=/);
    expect(await page.locator("tr[data-request-id]").count()).toBeGreaterThanOrEqual(1);
    const rowsForKey = await page.locator("tr[data-request-id]").allTextContents();
    expect(rowsForKey.every((t) => t.includes("ui-e2e-key"))).toBe(true);
    await page.getByLabel("Model").selectOption("claude-agent");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/model=claude-agent/);
    await expect(page.getByText("No requests match these filters").count()).resolves.toBe(1);

    await page.goto(url("/ui/spend"));
    const csvHref = (await page.getByTestId("export-csv").getAttribute("href"))!;
    const csv = await page.request.get(url(csvHref));
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-disposition"]).toMatch(/attachment; filename="spend-logs-/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toStartWith("request_id,startTime,endTime,api_key,key_alias");
    expect(lines.some((l) => l.startsWith(`${completion.id},`) && l.includes(",ui-e2e-key,"))).toBe(true);

    await page.goto(url("/ui"));
    await expect(page.getByTestId("top-keys").textContent()).resolves.toContain("ui-e2e-key");
    await expect(page.getByTestId("top-models").textContent()).resolves.toContain("gpt-4o-mini");
    await shot("overview");
  }, 60_000);

  uiTest("block, unblock and regenerate a key from the list; the API follows", async () => {
    await page.goto(url("/ui/keys"));
    const row = () => page.locator('tr[data-key-alias="ui-e2e-key"]');
    await row().getByRole("button", { name: "Block" }).click();
    await page.waitForURL(url("/ui/keys"));
    await expect(row().textContent()).resolves.toContain("blocked");
    await expect(chat(adminKeySecret)).rejects.toThrow(/401/);
    await row().getByRole("button", { name: "Unblock" }).click();
    await page.waitForURL(url("/ui/keys"));
    await expect(row().textContent()).resolves.toContain("active");
    await chat(adminKeySecret);

    await row().getByRole("button", { name: "Regenerate" }).click();
    await page.waitForURL(url("/ui/keys"));
    const fresh = (await page.getByTestId("new-secret").textContent())!.trim();
    expect(fresh).not.toBe(adminKeySecret);
    await expect(chat(adminKeySecret)).rejects.toThrow(/401/);
    expect((await chat(fresh)).choices.length).toBe(1);
    adminKeySecret = fresh;
    await shot("keys");
  }, 30_000);

  uiTest("a form POST without the CSRF token, with a wrong one, or from another origin is refused and changes nothing", async () => {
    await page.goto(url("/ui/keys"));
    const form = page.locator('tr[data-key-alias="ui-e2e-key"] form[action="/ui/keys/delete"]');
    const token = (await form.locator('input[name="token"]').getAttribute("value"))!;
    const good = (await form.locator('input[name="_csrf"]').getAttribute("value"))!;
    for (const [csrf, headers] of [
      [undefined, {}],
      ["forged-token", {}],
      [good, { origin: "http://evil.example" }],
    ] as const) {
      const res = await page.request.post(url("/ui/keys/delete"), { form: csrf ? { _csrf: csrf, token } : { token }, headers, maxRedirects: 0 });
      expect(res.status()).toBe(403);
      expect(await res.text()).toContain("CSRF");
    }
    await page.reload();
    expect(await page.locator('tr[data-key-alias="ui-e2e-key"]').count()).toBe(1);
    await chat(adminKeySecret);
  }, 30_000);

  uiTest("teams: create one with a budget and add a member", async () => {
    await page.goto(url("/ui/teams"));
    if (!(await page.getByLabel("Team name").isVisible())) await page.getByText("+ Create team").click();
    await page.getByLabel("Team name").fill("platform");
    await page.getByLabel("Max budget (USD)").fill("50");
    await page.getByLabel("Budget resets").selectOption("30d");
    await page.getByRole("button", { name: "Create team" }).click();
    await page.waitForURL(url("/ui/teams"));
    await page.getByRole("link", { name: "platform" }).click();
    await page.getByLabel("User id").fill("bob");
    await page.getByLabel("Budget in team (USD)").fill("10");
    await page.getByRole("button", { name: "Add member" }).click();
    await page.waitForURL(/\/ui\/teams\/[^/]+$/);
    const members = await page.getByTestId("members-table").textContent();
    expect(members).toContain("bob");
    expect(members).toContain("$0 / $10.00");
    await expect(page.locator("main").textContent()).resolves.toContain("$0 / $50.00");
    await shot("team");
  }, 30_000);

  uiTest("models: config models with their router state; a failing deployment shows its cooldown", async () => {
    llm.control({ failStatus: 429, failCount: 1 });
    await expect(chat(MASTER, "flaky")).rejects.toThrow(/429/);
    llm.reset();
    await page.goto(url("/ui/models"));
    const table = page.getByTestId("models-table");
    const flaky = table.locator("tr", { hasText: "flaky" });
    await expect(flaky.textContent()).resolves.toMatch(/cooling down \d+ s/);
    await expect(table.locator("tr", { hasText: "gpt-4o-mini" }).textContent()).resolves.toContain("available");
    await shot("models");
    await eventually("/ui/spend", async () => (await page.locator("tr[data-request-id]", { hasText: "failure" }).count()) === 1);
    await shot("spend-logs");
  }, 30_000);

  uiTest("agents: next cron fire shown; trigger a run and watch its output arrive live, then its cost", async () => {
    await page.goto(url("/ui/agents"));
    const table = page.getByTestId("agents-table");
    await table.waitFor({ timeout: 30_000 }).catch(async (e: Error) => {
      const shown = await page.locator("body").innerText().catch(() => "");
      throw new Error(`agents table not shown at ${page.url()} (${e.message}); the page said: ${shown.slice(0, 600)}`);
    });
    await expect(table.textContent()).resolves.toContain("0 3 * * *");
    expect(await table.locator("time").count()).toBe(1);
    await shot("agents");
    llm.control({ delayMs: 2000 });
    await page.getByTestId("run-greeter").getByRole("button", { name: "Run now" }).click();
    await page.waitForURL(/\/ui\/runs\/[0-9a-f-]{36}$/);
    const runId = page.url().split("/").pop()!;
    const log = page.getByTestId("run-log");
    expect(await log.getAttribute("data-live")).toBe("1");
    await log.getByText("Claude Code session").waitFor({ timeout: 30_000 });
    expect(await page.locator("#run-status").textContent()).not.toBe("succeeded");
    llm.reset();
    await log.getByText("Hello from the fake Anthropic!").first().waitFor({ timeout: 60_000 });
    const final = await waitFor(
      async () => {
        const r = (await (await fetch(url(`/api/runs/${runId}`), { headers: { authorization: `Bearer ${MASTER}` } })).json()) as { status: string };
        return ["succeeded", "failed", "cancelled", "timed_out"].includes(r.status) ? r.status : undefined;
      },
      90_000,
      "the run to end",
    );
    expect(final).toBe("succeeded");
    await page.locator("#run-status", { hasText: "succeeded" }).waitFor({ timeout: 30_000 });
    await page.waitForLoadState("load");
    await page.getByTestId("run-result").waitFor({ timeout: 15_000 });
    await expect(page.getByTestId("run-cost").textContent()).resolves.toMatch(/\$0\.\d+ reported by Claude Code/);
    await log.getByText("Hello from the fake Anthropic!").first().waitFor();
    const artifacts = await fetch(url(`/api/runs/${runId}/artifacts`), { headers: { authorization: `Bearer ${MASTER}` } });
    expect(await page.getByTestId("artifacts").count()).toBe(artifacts.status === 404 ? 0 : 1);
    await shot("run");
    await page.goto(url("/ui/runs"));
    await expect(page.getByTestId("runs-table").textContent()).resolves.toContain("succeeded");
    await shot("runs");
  }, 240_000);

  uiTest("users: an admin creates a user with a key; logged in with it, that user sees only their own keys and no agents", async () => {
    await page.goto(url("/ui/users"));
    if (!(await page.getByLabel("User id", { exact: true }).isVisible())) await page.getByText("+ Create user").click();
    await page.getByLabel("User id", { exact: true }).fill("alice");
    await page.getByLabel("Email", { exact: true }).fill("alice@example.com");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.waitForURL(url("/ui/users"));
    const aliceKey = (await page.getByTestId("new-secret").textContent())!.trim();
    await expect(page.getByTestId("users-table").textContent()).resolves.toContain("alice@example.com");
    await shot("users");

    await logout();
    await login(aliceKey);
    expect(await page.getByTestId("who").textContent()).toContain("alice · internal_user");
    expect(await page.getByRole("link", { name: "Agents" }).count()).toBe(0);
    await createKey("alice-second");
    await page.reload();
    const keys = await page.getByTestId("keys-table").locator("tbody tr").allTextContents();
    expect(keys.length).toBe(2);
    expect(keys.some((t) => t.includes("alice-second"))).toBe(true);
    expect(keys.some((t) => t.includes("ui-e2e-key"))).toBe(false);
    expect(await page.content()).not.toContain("ui-e2e-key");
    expect(await page.getByRole("button", { name: "Block" }).count()).toBe(0);
    await chat(aliceKey);
    await page.goto(url("/ui/agents"));
    await expect(page.locator("main").textContent()).resolves.toContain("for proxy admins");
    await page.goto(url("/ui/spend"));
    expect(await page.content()).not.toContain("ui-e2e-key");

    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(url("/ui/keys"));
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(375);
    await page.getByRole("button", { name: "Log out" }).focus();
    await page.keyboard.press("Tab");
    await shot("keys-375px");
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(b.errors).toEqual([]);
  }, 60_000);

  uiTest("keyboard: the skip link is the first tab stop and moves focus to the content", async () => {
    await page.goto(url("/ui"));
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
  });
});

describe("admin UI without a database", () => {
  let bare: GatewayProcess;
  beforeAll(async () => {
    bare = await startGateway({
      config: {
        model_list: [{ model_name: "gpt-4o-mini", litellm_params: { model: "openai/gpt-4o-mini", api_base: `${llm.url}/v1`, api_key: "sk-provider-openai" } }],
        general_settings: { master_key: MASTER },
      },
    });
  });
  afterAll(async () => {
    await bare?.stop();
  });

  test("pages that need the database say so; the overview counts since start", async () => {
    await new OpenAI({ apiKey: MASTER, baseURL: `${bare.url}/v1` }).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    await page.goto(`${bare.url}/ui/login`);
    await page.getByLabel("Master key or virtual key").fill(MASTER);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${bare.url}/ui`);
    await expect(page.getByTestId("no-db").textContent()).resolves.toContain("No database connected");
    await expect(page.locator(".cards").textContent()).resolves.toContain("Requests since start1");
    for (const p of ["/ui/keys", "/ui/users", "/ui/spend", "/ui/teams"]) {
      await page.goto(`${bare.url}${p}`);
      await expect(page.getByTestId("no-db").textContent()).resolves.toContain("general_settings.database_url");
    }
    await page.goto(`${bare.url}/ui/models`);
    await expect(page.getByTestId("models-table").textContent()).resolves.toContain("gpt-4o-mini");
  }, 30_000);
});
