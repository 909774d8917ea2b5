import { afterAll, beforeAll, expect, test } from "bun:test";
import { eventually, proxyClient, uuid, type Json } from "./client.ts";
import { startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  proxy = await startLiteLLMProxy("spend_logs");
}, 60_000);
afterAll(async () => proxy?.stop());

const generateKey = (teamId?: string) => px.post("/key/generate", { models: [], duration: null, ...(teamId ? { team_id: teamId } : {}) });
const chat = (key: string) =>
  px.chat(key, "gpt-3.5-turbo", [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: `Hello! ${uuid()}` },
  ]);
const spendLogs = (requestId: string): Promise<Json[]> => eventually(async () => {
  const rows = await px.get(`/spend/logs?request_id=${requestId}`);
  return rows.length ? rows : undefined;
}, `the spend log of ${requestId}`);
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

test("test_spend_logs", async () => {
  const { key } = await generateKey();
  const response = await chat(key);
  await spendLogs(response.id);
});

test("test_spend_logs_with_org_id", async () => {
  const org = (await px.send("POST", "/organization/new", { json: { organization_alias: `test-org-${uuid()}` } })).body;
  const team = (await px.send("POST", "/team/new", { json: { organization_id: org.organization_id } })).body;
  const { key } = await generateKey(team.team_id);
  const response = await chat(key);
  const [log] = await spendLogs(response.id);
  expect(log!.metadata.user_api_key_org_id).toBe(org.organization_id);
  expect(log!.metadata.user_api_key_team_id).toBe(team.team_id);
  expect(log!.team_id).toBe(team.team_id);
});

test("test_spend_report_endpoint", async () => {
  const report = await px.get(`/global/spend/report?start_date=${day(-30)}&end_date=${day(1)}`);
  for (const row of report) for (const team of row.teams) expect(team.team_name).not.toBeNull();
});
