import { expect, test } from "bun:test";
import { LogWorker } from "../../../src/callbacks/log-worker.ts";
import type { DropReason, QueueStats } from "../../../src/callbacks/queue.ts";
import { Logger } from "../../../src/log.ts";
import { fakeRecord, fakeRequest } from "./helpers.ts";

test("calls in flight to the logging worker are bounded: past 2,000 not yet taken, the rest are dropped and counted, then sending resumes", async () => {
  const dropped: Array<[string, DropReason, number]> = [];
  const stats: QueueStats = { sent() {}, sendError() {}, queued() {}, dropped: (s, r, n) => void dropped.push([s, r, n]) };
  const w = new LogWorker(
    { t: "init", plans: [], policy: { contentOff: false, redactKeyInfo: false, userAgentTags: true }, dyn: { env: {}, teamSettings: [] }, log: { json: false, debug: false } },
    stats,
    new Logger(false, false, () => {}),
  );
  const rec = fakeRecord(fakeRequest("openai-chat", { model: "m", messages: [{ role: "user", content: "hi" }] }));
  // No event loop turn in between: the worker's acknowledgements cannot arrive.
  for (let i = 0; i < 2005; i++) w.record(rec);
  expect(dropped).toEqual(Array(5).fill(["all", "queue_full", 1]));
  let accepted = false;
  for (let i = 0; i < 250 && !accepted; i++) {
    await Bun.sleep(20);
    const before = dropped.length;
    w.record(rec);
    accepted = dropped.length === before;
  }
  expect(accepted).toBe(true);
  await w.close(1000);
});

test("calls recorded in one task reach the sinks with their own bodies, across the ring's wrap (places reserved at record, copies made after)", async () => {
  const got: string[] = [];
  const server = Bun.serve({
    port: 0,
    async fetch(req) {
      for (const p of (await req.json()) as Array<{ messages: Array<{ content: string }> }>) got.push(p.messages[0]!.content);
      return new Response("ok");
    },
  });
  const stats: QueueStats = { sent() {}, sendError() {}, queued() {}, dropped() {} };
  const all = { success: true, failure: true };
  const w = new LogWorker(
    {
      t: "init",
      plans: [{ kind: "generic_api", filter: all, options: { name: "generic_api", endpoint: `http://127.0.0.1:${server.port}/logs`, headers: {}, logFormat: "json_array", filter: all } }],
      policy: { contentOff: false, redactKeyInfo: false, userAgentTags: true },
      dyn: { env: {}, teamSettings: [] },
      log: { json: false, debug: false },
    },
    stats,
    new Logger(false, false, () => {}),
  );
  // 20 MB bodies in a 64 MB ring: the fourth goes back to the start, over the first one's place.
  const content = (c: string) => c.repeat(20 * 1024 * 1024);
  const call = (c: string) => fakeRecord(fakeRequest("openai-chat", { model: "m", messages: [{ role: "user", content: content(c) }] }));
  for (const c of "abc") w.record(call(c));
  await w.flush();
  await Bun.sleep(100);
  for (const c of "def") w.record(call(c));
  await w.flush();
  expect(got.map((s) => `${s[0]}${s.length}`)).toEqual([..."abcdef"].map((c) => `${c}${20 * 1024 * 1024}`));
  expect(got.every((s) => s === content(s[0]!))).toBe(true);
  await w.close(1000);
  server.stop(true);
});

test("a call whose snapshot cannot be made is dropped and counted (send_failed), its place in flight given back; the calls around it still go", async () => {
  const dropped: Array<[string, DropReason, number]> = [];
  const stats: QueueStats = { sent() {}, sendError() {}, queued() {}, dropped: (s, r, n) => void dropped.push([s, r, n]) };
  const warned: string[] = [];
  const w = new LogWorker(
    { t: "init", plans: [], policy: { contentOff: false, redactKeyInfo: false, userAgentTags: true }, dyn: { env: {}, teamSettings: [] }, log: { json: false, debug: false } },
    stats,
    new Logger(false, false, (line) => void warned.push(line)),
  );
  const ok = fakeRecord(fakeRequest("openai-chat", { model: "m", messages: [{ role: "user", content: "hi" }] }));
  const bad = fakeRecord(fakeRequest("openai-chat", { model: "m", messages: [] }, {}, { metadata: { n: 1n } }));
  w.record(ok);
  w.record(bad);
  w.record(ok);
  expect(dropped).toEqual([]);
  await w.flush();
  expect(dropped).toEqual([["all", "send_failed", 1]]);
  expect(warned.some((l) => l.includes("could not be logged"))).toBe(true);
  await Bun.sleep(100);
  // 2,000 more fit in flight: the failed call's place was given back.
  for (let i = 0; i < 2000; i++) w.record(ok);
  expect(dropped.length).toBe(1);
  await w.close(1000);
});
