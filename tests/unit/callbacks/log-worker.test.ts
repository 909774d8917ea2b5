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
