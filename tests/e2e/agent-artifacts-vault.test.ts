import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { decryptValue, encryptValue } from "../../src/db/secrets.ts";
import { startFakeDaytona, type FakeDaytona } from "../fakes/daytona.ts";
import { startFakeE2B, type FakeE2B } from "../fakes/e2b.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startFakeS3, type FakeS3 } from "../fakes/s3.ts";
import { api, waitForRun } from "../helpers/agent-api.ts";
import { tarEntries } from "../helpers/artifacts.ts";
import { ROOT, startGateway, writeConfig, type GatewayProcess } from "../helpers/gateway.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

const MASTER = "sk-vault-master-0001";
const SALT = "salt-key-for-the-vault-test";
const SECRET1 = "ghp_FirstSecretValue1234567890";
const SECRET2 = "ghp_RotatedSecretValue0987654321";
const LEGACY = "legacy-credential-value-4455";
const CLAUDE = realpathSync(join(ROOT, "node_modules/.bin/claude"));
const S3 = { bucket: "agent-artifacts", accessKeyId: "AKIDARTIFACTS", secretAccessKey: "s3-secret-for-tests" };

let llm: FakeLLM;
let e2b: FakeE2B;
let daytona: FakeDaytona;
let s3: FakeS3;
let db: TestDb;
let gw: GatewayProcess;
let configPath: string;
const port = 20000 + Math.floor(Math.random() * 20000);

beforeAll(async () => {
  llm = await startFakeLLM();
  e2b = await startFakeE2B({ apiKey: "e2b-test-key" });
  daytona = await startFakeDaytona({ apiKey: "daytona-test-key" });
  s3 = await startFakeS3(S3);
  db = await createTestDb("lr_vault");
  configPath = writeConfig({
      model_list: [{ model_name: "claude-agent", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: llm.url, api_key: "sk-ant-provider-0002" } }],
      general_settings: {
        master_key: MASTER,
        database_url: db.url,
        proxy_batch_write_at: 1,
        agent_heartbeat_seconds: 1,
        agent_claude_path: CLAUDE,
        e2b_sandbox_params: { e2b_api_key: "e2b-test-key", e2b_api_url: e2b.url, e2b_sandbox_url: e2b.url },
        daytona_sandbox_params: { daytona_api_key: "daytona-test-key", daytona_api_url: `${daytona.url}/api`, use_polling: true },
        artifact_inline_max_bytes: 2048,
        artifact_s3_params: { bucket: S3.bucket, endpoint: s3.url, region: "us-east-1", access_key_id: S3.accessKeyId, secret_access_key: S3.secretAccessKey },
      },
      agents: [
        {
          name: "Reporter",
          model: "claude-agent",
          sandbox: "daytona",
          artifacts: ["out/**", "*.md"],
          prompt: "USE_BASH `mkdir -p out/sub && echo report-body > out/report.txt && head -c 5000 /dev/urandom > out/sub/blob.bin && echo '# Notes' > NOTES.md && echo odd > 'out/a b%.txt' && ls out`",
          timeout: 60,
        },
        {
          name: "Deployer",
          model: "claude-agent",
          secrets: ["DEPLOY_TOKEN", "LEGACY=legacy-cred"],
          artifacts: ["*.txt"],
          prompt: 'USE_BASH `echo "token is $DEPLOY_TOKEN and $LEGACY" | tee token.txt`',
          timeout: 60,
        },
      ],
  });
  gw = await startGateway({ configPath, env: { LITELLM_SALT_KEY: SALT }, args: ["--port", String(port)] });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([llm?.stop(), e2b?.stop(), daytona?.stop(), s3?.stop()]);
  await db?.drop();
});

const get = (path: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${MASTER}` } });

async function runAgent(agent: string): Promise<Record<string, unknown>> {
  const r = await api(gw, MASTER, "POST", `/api/agents/${agent}/run`);
  expect(r.status).toBe(202);
  return waitForRun(gw, MASTER, String(r.body.run_id), ["succeeded", "failed"]);
}

describe("artifacts", () => {
  test("files from the agent's globs, the transcript and the workspace are downloadable after the sandbox is gone", async () => {
    const run = await runAgent("reporter");
    expect(run.status).toBe("succeeded");
    const sb = daytona.sandboxes.get(String(run.sandbox_id))!;
    expect(sb.state).not.toBe("running");

    const list = (await api(gw, MASTER, "GET", `/api/runs/${run.run_id}/artifacts`)).body.data as Array<Record<string, unknown>>;
    const byPath = new Map(list.map((a) => [String(a.path), a]));
    expect([...byPath.keys()].sort()).toEqual(["files/NOTES.md", "files/out/a b%.txt", "files/out/report.txt", "files/out/sub/blob.bin", "transcript.jsonl", "workspace.tar.gz"]);
    const odd = byPath.get("files/out/a b%.txt")!;
    expect(odd.url).toBe(`/api/runs/${run.run_id}/artifacts/files/out/a%20b%25.txt`);
    expect(await (await get(String(odd.url))).text()).toBe("odd\n");
    expect(byPath.get("files/out/report.txt")).toMatchObject({ kind: "file", size: 12, storage: "db", content_type: "text/plain;charset=utf-8" });
    expect(byPath.get("files/out/sub/blob.bin")).toMatchObject({ kind: "file", size: 5000, storage: "s3" });
    expect(byPath.get("transcript.jsonl")).toMatchObject({ kind: "transcript", content_type: "application/x-ndjson" });

    const report = await get(`/api/runs/${run.run_id}/artifacts/files/out/report.txt`);
    expect(report.status).toBe(200);
    expect(report.headers.get("content-type")).toBe("text/plain;charset=utf-8");
    expect(report.headers.get("content-disposition")).toBe('attachment; filename="report.txt"');
    expect(await report.text()).toBe("report-body\n");

    const blob = await get(`/api/runs/${run.run_id}/artifacts/files/out/sub/blob.bin`);
    expect(blob.headers.get("content-type")).toBe("application/octet-stream");
    const bytes = new Uint8Array(await blob.arrayBuffer());
    expect(bytes.length).toBe(5000);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(String(byPath.get("files/out/sub/blob.bin")!.sha256));
    expect(Buffer.from(s3.objects.get(`reporter/${run.run_id}/files/out/sub/blob.bin`)!.data).equals(Buffer.from(bytes))).toBe(true);
    expect(s3.rejected).toEqual([]);

    const transcript = await (await get(`/api/runs/${run.run_id}/artifacts/transcript.jsonl`)).text();
    expect(transcript.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { sessionId?: string }).sessionId)).toContain(String(run.claude_session_id));
    const ws = await tarEntries(new Uint8Array(await (await get(`/api/runs/${run.run_id}/artifacts/workspace.tar.gz`)).arrayBuffer()));
    expect(ws.get("./out/report.txt")).toBe("report-body\n");
    expect(ws.get("./NOTES.md")).toBe("# Notes\n");

    expect((await get(`/api/runs/${run.run_id}/artifacts/files/nope.txt`)).status).toBe(404);
    expect((await get(`/api/runs/no-such-run/artifacts`)).status).toBe(404);
    expect((await fetch(`${gw.url}/api/runs/${run.run_id}/artifacts`)).status).toBe(401);
  }, 90_000);
});

async function dbText(): Promise<string> {
  const tables = await db.sql<Array<{ t: string }>>`SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
  const parts: string[] = [];
  for (const { t } of tables) for (const r of await db.sql.unsafe(`SELECT row_to_json(x)::text AS j FROM ${t} x`)) parts.push(String(r.j));
  return parts.join("\n");
}

const hex = (s: string) => Buffer.from(s).toString("hex");

describe("vault", () => {
  test("a secret reaches the command's environment and appears nowhere in events, logs, artifacts or the database in clear", async () => {
    await db.sql`
      INSERT INTO "LiteLLM_CredentialsTable" (credential_id, credential_name, credential_values, credential_info, created_by, updated_by)
      VALUES ('cred-1', 'legacy-cred', ${db.sql.json({ api_key: encryptValue(LEGACY, SALT) })}, '{}'::jsonb, 'admin', 'admin')`;
    const put = await api(gw, MASTER, "POST", "/api/vault/secrets", { name: "DEPLOY_TOKEN", value: SECRET1, description: "deploys" });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ name: "DEPLOY_TOKEN", source: "vault", description: "deploys" });
    const listed = await api(gw, MASTER, "GET", "/api/vault/secrets");
    expect((listed.body.data as Array<{ name: string; source: string }>).map((s) => `${s.name}:${s.source}`).sort()).toEqual(["DEPLOY_TOKEN:vault", "legacy-cred:litellm_credentials"]);
    for (const body of [put.body, listed.body]) expect(JSON.stringify(body)).not.toContain(SECRET1);
    const [row] = await db.sql`SELECT value FROM litellm_rust_vault_secrets WHERE name = 'DEPLOY_TOKEN'`;
    expect(String(row!.value)).toStartWith("v3:gcm:");
    expect(decryptValue(String(row!.value), SALT)).toBe(SECRET1);
    expect(decryptValue(String(row!.value), MASTER)).toBeUndefined();

    const before = llm.requests.length;
    const run = await runAgent("deployer");
    expect(run.status).toBe("succeeded");
    const cmd = e2b.commands.find((c) => c.sandboxId === run.sandbox_id && c.command.includes("--output-format"))!;
    expect(cmd.env.DEPLOY_TOKEN).toBe(SECRET1);
    expect(cmd.env.LEGACY).toBe(LEGACY);
    expect(cmd.command).not.toContain(SECRET1);
    expect(JSON.stringify(llm.requests.slice(before).map((r) => r.body))).toContain(`token is ${SECRET1} and ${LEGACY}`);
    expect(String(run.result)).toContain("token is [redacted] and [redacted]");

    const events = await (await get(`/api/runs/${run.run_id}/events`)).text();
    expect(events).toContain("token is [redacted]");
    const token = await (await get(`/api/runs/${run.run_id}/artifacts/files/token.txt`)).text();
    expect(token).toBe(`token is ${"*".repeat(SECRET1.length)} and ${"*".repeat(LEGACY.length)}\n`);
    const transcript = await (await get(`/api/runs/${run.run_id}/artifacts/transcript.jsonl`)).text();
    const ws = [...(await tarEntries(new Uint8Array(await (await get(`/api/runs/${run.run_id}/artifacts/workspace.tar.gz`)).arrayBuffer()))).values()].join("\n");
    expect(ws).toContain("token is *");

    const spendRows = async () => (await db.sql`SELECT 1 FROM "LiteLLM_SpendLogs" WHERE metadata::text LIKE ${`%${run.run_id}%`}`).length;
    for (let i = 0; i < 50 && !(await spendRows()); i++) await Bun.sleep(100);
    expect(await spendRows()).toBeGreaterThan(0);
    const stored = await dbText();
    expect(stored).toContain("token is [redacted]");
    expect(stored).toContain(hex("token is ****"));
    for (const text of [events, transcript, ws, gw.output(), stored, JSON.stringify(s3.objects.values().toArray().map((o) => Buffer.from(o.data).toString()))]) {
      expect(text).not.toContain(SECRET1);
      expect(text).not.toContain(LEGACY);
    }
    expect(stored).not.toContain(hex(SECRET1));
  }, 90_000);

  test("rotation takes effect on the next run without a restart; a deleted secret fails the run with the reason", async () => {
    expect((await api(gw, MASTER, "POST", "/api/vault/secrets", { name: "DEPLOY_TOKEN", value: SECRET2 })).status).toBe(201);
    const rotated = await runAgent("deployer");
    expect(rotated.status).toBe("succeeded");
    expect(e2b.commands.find((c) => c.sandboxId === rotated.sandbox_id && c.command.includes("--output-format"))!.env.DEPLOY_TOKEN).toBe(SECRET2);
    expect(String(rotated.result)).not.toContain(SECRET2);

    expect((await api(gw, MASTER, "DELETE", "/api/vault/secrets/DEPLOY_TOKEN")).body).toMatchObject({ deleted: true });
    expect((await api(gw, MASTER, "GET", "/api/vault/secrets/DEPLOY_TOKEN")).status).toBe(404);
    const failed = await runAgent("deployer");
    expect(failed.status).toBe("failed");
    expect(String(failed.error)).toContain("vault secrets not found: DEPLOY_TOKEN");
    expect(e2b.sandboxes.get(String(failed.sandbox_id))!.state).not.toBe("running");
  }, 90_000);

  test("a run adopted by a restarted gateway still redacts its secrets", async () => {
    let run: Record<string, unknown> = {};
    expect((await api(gw, MASTER, "POST", "/api/vault/secrets", { name: "DEPLOY_TOKEN", value: SECRET1 })).status).toBe(201);
    llm.control({ delayMs: 3000 });
    try {
      const id = String((await api(gw, MASTER, "POST", "/api/agents/deployer/run")).body.run_id);
      await waitForRun(gw, MASTER, id, ["running"]);
      await Bun.sleep(1500);
      gw.proc.kill("SIGKILL");
      await gw.proc.exited;
      gw = await startGateway({ configPath, env: { LITELLM_SALT_KEY: SALT }, args: ["--port", String(port)] });
      run = await waitForRun(gw, MASTER, id, ["succeeded", "failed"], 60_000);
    } finally {
      llm.reset();
    }
    const id = String(run.run_id);
    const events = await (await get(`/api/runs/${id}/events`)).text();
    expect(events).toContain("event: run.reattached");
    expect(events.indexOf("event: run.reattached")).toBeLessThan(events.indexOf("token is [redacted]"));
    expect(run.status).toBe("succeeded");
    expect(String(run.result)).toContain("token is [redacted]");
    const token = await (await get(`/api/runs/${id}/artifacts/files/token.txt`)).text();
    expect(token).toStartWith(`token is ${"*".repeat(SECRET1.length)}`);
    for (const text of [events, String(run.result), token, gw.output()]) expect(text).not.toContain(SECRET1);
  }, 120_000);

  test("vault routes need the master key, refuse bad names and never return values", async () => {
    expect((await fetch(`${gw.url}/api/vault/secrets`)).status).toBe(401);
    expect((await api(gw, MASTER, "POST", "/api/vault/secrets", { name: "not a name", value: "x" })).status).toBe(400);
    expect((await api(gw, MASTER, "POST", "/api/vault/secrets", { name: "EMPTY" })).status).toBe(400);
    expect((await api(gw, MASTER, "GET", "/api/vault/secrets/legacy-cred")).body).toMatchObject({ name: "legacy-cred", source: "litellm_credentials" });
  });
});
