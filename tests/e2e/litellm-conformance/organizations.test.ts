import { afterAll, beforeAll, expect, test } from "bun:test";
import { proxyClient, uuid, type Json } from "./client.ts";
import { startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  proxy = await startLiteLLMProxy("organizations");
}, 60_000);
afterAll(async () => proxy?.stop());

const newOrganization = (alias: string) => px.post("/organization/new", { organization_alias: alias, models: ["azure-models"], max_budget: null });
const newUser = (email: string) =>
  px.post("/user/new", { models: ["azure-models"], aliases: { "mistral-7b": "gpt-3.5-turbo" }, duration: null, max_budget: null, budget_duration: null, user_email: email });
const listOrganizations = async (): Promise<Json[]> => {
  const orgs: Json[] = await px.get("/organization/list");
  for (const org of orgs) {
    expect(org).toHaveProperty("litellm_budget_table");
    expect(org.litellm_budget_table).not.toBeNull();
  }
  return orgs;
};

test("test_organization_new", async () => {
  const alias = `Organization: ${uuid()}`;
  await Promise.all(Array.from({ length: 19 }, () => newOrganization(alias)));
});

test("test_organization_list", async () => {
  await newOrganization(`Organization: ${uuid()}`);
  expect((await listOrganizations()).length).toBeGreaterThan(0);
});

test("test_organization_delete", async () => {
  await newOrganization(`Organization: ${uuid()}`);
  const [first] = await listOrganizations();
  await px.ok("DELETE", "/organization/delete", { json: { organization_ids: [first!.organization_id] } });
  await listOrganizations();
});

test("test_organization_member_flow", async () => {
  const { organization_id } = await newOrganization(`Organization: ${uuid()}`);
  await listOrganizations();
  let { user_id } = await newUser(`test_user_${uuid()}@example.com`);
  await px.post("/organization/member_add", { organization_id, member: { user_id, role: "internal_user" } });
  for (const org of await listOrganizations()) if (org.organization_id === organization_id) user_id = org.members[0].user_id;
  await listOrganizations();
  await px.ok("PATCH", "/organization/member_update", { json: { organization_id, user_id, role: "org_admin" } });
  await listOrganizations();
  await px.ok("DELETE", "/organization/member_delete", { json: { organization_id, user_id } });
  await listOrganizations();
});
