import { expect, test } from "bun:test";
import { RunBus } from "../../src/agents/bus.ts";
import { eventStream } from "../../src/agents/routes.ts";
import type { AgentRuntime } from "../../src/agents/runtime.ts";
import type { RunEvent, RunEventType } from "../../src/agents/types.ts";

/** A run store the test drives by hand: the runner records the end, then (a moment later) the closing event. */
function fakeAgents() {
  const events: RunEvent[] = [];
  let status = "running";
  const bus = new RunBus();
  const agents = {
    bus,
    isLocal: () => false,
    store: {
      events: async (_id: string, after: number) => events.filter((e) => e.seq > after),
      get: async () => ({ status }),
    },
  } as unknown as AgentRuntime;
  const append = (type: RunEventType) => {
    const e: RunEvent = { run_id: "r1", seq: events.length + 1, type, data: {}, created_at: new Date().toISOString() };
    events.push(e);
    bus.publish(e);
  };
  return { agents, append, end: () => (status = "succeeded") };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  const dec = new TextDecoder();
  for await (const chunk of stream) text += dec.decode(chunk);
  return text;
}

test("a follower still gets the closing event when the run is recorded as ended just before it is stored", async () => {
  const f = fakeAgents();
  f.append("run.started");
  const reading = readAll(eventStream(f.agents, "r1", 0, new AbortController().signal));
  await Bun.sleep(100);
  f.end();
  await Bun.sleep(700);
  f.append("run.completed");
  const text = await reading;
  expect(text).toContain("event: run.started");
  expect(text).toContain("event: run.completed");
});

test("a follower reconnecting after the closing event is closed at once", async () => {
  const f = fakeAgents();
  f.append("run.started");
  f.append("run.completed");
  f.end();
  const t = Date.now();
  const text = await readAll(eventStream(f.agents, "r1", 2, new AbortController().signal));
  expect(text).not.toContain("event:");
  expect(Date.now() - t).toBeLessThan(1000);
});
