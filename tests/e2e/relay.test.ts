import { afterAll, beforeAll, expect, test } from "bun:test";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-master-relay";
let fake: FakeLLM;
let gw: GatewayProcess;

beforeAll(async () => {
  fake = await startFakeLLM();
  gw = await startGateway({
    config: {
      model_list: [{ model_name: "gpt-test", litellm_params: { model: "openai/gpt-upstream", api_base: `${fake.url}/v1`, api_key: "sk-up" } }],
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER },
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.stop();
});

const streamCall = () =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-test", stream: true, messages: [{ role: "user", content: "hi" }] }),
  });

test("every upstream chunk reaches the client in order, paced as the upstream sends them", async () => {
  fake.control({ chunkDelayMs: 40, chunks: 6, reply: "aaaa bbbb cccc dddd eeee ffff" });
  const res = await streamCall();
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  const arrivals: number[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    text += dec.decode(r.value, { stream: true });
    arrivals.push(performance.now());
  }
  const pieces = [...text.matchAll(/"delta":\{"content":"([^"]*)"/g)].map((m) => m[1]).join("");
  expect(pieces).toBe("aaaa bbbb cccc dddd eeee ffff");
  expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  // chunks are relayed as they come, not gathered into one write at the end
  expect(arrivals.length).toBeGreaterThanOrEqual(5);
});

test("an upstream that breaks mid-stream ends the client's stream with an error event after what was sent", async () => {
  fake.control({ chunkDelayMs: 30, breakAfterChunks: 4 });
  const res = await streamCall();
  expect(res.status).toBe(200);
  const text = await res.text();
  fake.reset();
  const events = text.split("\n\n").filter(Boolean);
  // the fake drops the connection right after its 4th event, so the last one may or may not get out
  expect(events.filter((e) => e.includes('"delta"')).length).toBeGreaterThanOrEqual(3);
  expect(events.at(-1)).toContain("litellm.APIConnectionError: upstream stream failed");
});
