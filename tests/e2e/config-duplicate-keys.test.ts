import { afterAll, beforeAll, expect, test } from "bun:test";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { chat } from "../helpers/litellm-db.ts";

/** A config.yaml with a key repeated in one mapping loads as PyYAML loads it: the last value wins, with a warning. */
let gw: GatewayProcess;

const CONFIG = `
model_list:
  - model_name: first
    litellm_params: { model: openai/m, mock_response: "from the first list" }
general_settings:
  master_key: sk-first-master
litellm_settings:
  drop_params: true
model_list:
  - model_name: second
    litellm_params:
      model: openai/m
      mock_response: "from the second list"
      mock_response: "from the last key"
general_settings:
  master_key: sk-second-master
litellm_settings:
  num_retries: 0
`;

beforeAll(async () => {
  gw = await startGateway({ config: CONFIG });
}, 30_000);

afterAll(async () => {
  await gw?.stop();
});

test("the last block wins for each repeated key and the start-up log names every repeated key path once", async () => {
  const first = await chat(gw.url, "sk-first-master", { model: "second" });
  expect(first.status).toBe(400);
  expect(first.body.error!.type).toBe("no_db_connection");
  const r = await chat(gw.url, "sk-second-master", { model: "second" });
  expect(r.status).toBe(200);
  expect((r.body.choices as Array<{ message: { content: string } }>)[0]!.message.content).toBe("from the last key");
  expect((await chat(gw.url, "sk-second-master", { model: "first" })).status).toBe(400);
  const out = gw.output();
  for (const path of ["model_list", "general_settings", "litellm_settings", "model_list[0].litellm_params.mock_response"]) {
    expect(out.split(`key ${path} appears more than once`).length - 1).toBe(1);
  }
});
