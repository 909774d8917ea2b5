import { afterAll, beforeAll, expect, test } from "bun:test";
import { proxyClient } from "./client.ts";
import { startLiteLLMProxy, type LiteLLMProxy } from "./proxy.ts";

let proxy: LiteLLMProxy;
const px = proxyClient(() => proxy.url);

beforeAll(async () => {
  proxy = await startLiteLLMProxy("health");
}, 60_000);
afterAll(async () => proxy?.stop());

const unauthenticated = async (path: string) => {
  const r = await fetch(`${proxy.url}${path}`);
  return { status: r.status, text: await r.text() };
};

test("test_health", async () => {
  const health = await px.get("/health");
  expect(health.healthy_count + health.unhealthy_count).toBeGreaterThan(0);
});

test("test_health_readiness", async () => {
  const r = await unauthenticated("/health/readiness");
  expect(JSON.parse(r.text)).toHaveProperty("status");
  expect(r.status).toBe(200);
  // LiteLLM's current public probe is low-detail (its test_health_endpoints: exactly these keys).
  expect(JSON.parse(r.text)).toEqual({ status: "healthy", db: "connected" });
});

test("test_health_readiness_details", async () => {
  const r = await px.send("GET", "/health/readiness/details");
  expect(r.body).toHaveProperty("status");
  expect(r.body).toHaveProperty("litellm_version");
  expect(r.status).toBe(200);
});

test.each([
  ["test_health_liveliness", "/health/liveliness"],
  ["test_routes", "/routes"],
])("%s", async (_, path) => {
  expect((await unauthenticated(path)).status).toBe(200);
});
