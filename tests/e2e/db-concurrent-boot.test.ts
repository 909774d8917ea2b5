import { afterAll, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

let db: TestDb;
const gateways: GatewayProcess[] = [];

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await db?.drop();
});

test("two instances booting at once on an empty database: one creates LiteLLM's tables, both are connected at once, neither stumbles", async () => {
  db = await createTestDb("lr_concurrent_boot");
  const config = { general_settings: { master_key: "sk-concurrent-boot-0001", database_url: db.url } };
  gateways.push(...(await Promise.all([startGateway({ config }), startGateway({ config })])));
  for (const g of gateways) {
    const ready = (await (await fetch(`${g.url}/health/readiness`)).json()) as { db: string };
    expect(ready.db).toBe("connected");
    expect(g.output()).not.toContain("not reachable");
  }
  expect(gateways.filter((g) => g.output().includes("created LiteLLM's tables in the empty database")).length).toBe(1);
}, 60_000);
