import { describe, expect, test } from "bun:test";
import { deliverEach } from "../../../src/callbacks/hub.ts";
import { BatchQueue, SendError, type DropReason, type QueueStats } from "../../../src/callbacks/queue.ts";
import { Logger } from "../../../src/log.ts";

function counting() {
  const c = { sent: 0, errors: 0, dropped: new Map<DropReason, number>(), queued: 0 };
  const stats: QueueStats = {
    sent: (_, n) => void (c.sent += n),
    dropped: (_, r, n) => void c.dropped.set(r, (c.dropped.get(r) ?? 0) + n),
    sendError: () => void c.errors++,
    queued: (_, n) => void (c.queued = n),
  };
  return { c, stats };
}
const quiet = new Logger(false, false, () => {});

describe("BatchQueue", () => {
  test("sends in batches of batchSize, in order", async () => {
    const { c, stats } = counting();
    const batches: number[][] = [];
    const q = new BatchQueue<number>({ name: "t", batchSize: 3, flushMs: 60_000, send: async (b) => void batches.push([...b]), stats, log: quiet });
    for (let i = 0; i < 7; i++) q.push(i);
    await q.flush();
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(c.sent).toBe(7);
    await q.close(100);
  });

  test("events within flushMs of the first one leave together, in one batch; an idle queue holds no timer", async () => {
    const { stats } = counting();
    const batches: number[][] = [];
    const q = new BatchQueue<number>({ name: "t", batchSize: 100, flushMs: 200, send: async (b) => void batches.push([...b]), stats, log: quiet });
    const until = async (n: number) => {
      for (let i = 0; i < 200 && batches.length < n; i++) await Bun.sleep(10);
    };
    q.push(1);
    q.push(2);
    q.push(3);
    await Bun.sleep(0);
    expect(batches).toEqual([]);
    await until(1);
    expect(batches).toEqual([[1, 2, 3]]);
    q.push(4);
    await until(2);
    expect(batches).toEqual([[1, 2, 3], [4]]);
    await q.close(10);
  });

  test("a failed batch is retried with backoff until it goes through; errors counted", async () => {
    const { c, stats } = counting();
    let calls = 0;
    const q = new BatchQueue<number>({
      name: "t",
      batchSize: 10,
      flushMs: 60_000,
      backoffMs: 5,
      send: async () => {
        if (++calls < 3) throw new SendError("503", true);
      },
      stats,
      log: quiet,
    });
    q.push(1);
    await q.flush();
    expect(calls).toBe(3);
    expect(c.errors).toBe(2);
    expect(c.sent).toBe(1);
    expect(c.dropped.size).toBe(0);
    await q.close(100);
  });

  test("a batch the backend refuses (not retryable), or still failing after maxAttempts, is dropped and counted", async () => {
    const { c, stats } = counting();
    const refused = new BatchQueue<number>({ name: "t", batchSize: 10, flushMs: 60_000, send: async () => Promise.reject(new SendError("400", false)), stats, log: quiet });
    refused.push(1);
    refused.push(2);
    await refused.flush();
    expect(c.dropped.get("send_failed")).toBe(2);
    const down = new BatchQueue<number>({ name: "t", batchSize: 10, flushMs: 60_000, backoffMs: 1, maxAttempts: 3, send: async () => Promise.reject(new Error("ECONNREFUSED")), stats, log: quiet });
    down.push(3);
    await down.flush();
    expect(c.dropped.get("send_failed")).toBe(3);
    expect(c.errors).toBe(4);
    await Promise.all([refused.close(10), down.close(10)]);
  });

  test("a full queue drops new events instead of growing; push never throws or waits", async () => {
    const { c, stats } = counting();
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const q = new BatchQueue<number>({ name: "t", batchSize: 1, flushMs: 60_000, maxItems: 5, send: () => stuck, stats, log: quiet });
    for (let i = 0; i < 20; i++) q.push(i);
    expect(q.length).toBe(5);
    expect(c.dropped.get("queue_full")).toBe(14);
    release();
    await q.flush();
    expect(c.sent).toBe(6);
    await q.close(10);
  });

  test("close gives up after its deadline and counts what was left", async () => {
    const { c, stats } = counting();
    const q = new BatchQueue<number>({ name: "t", batchSize: 1, flushMs: 60_000, send: () => new Promise(() => {}), stats, log: quiet });
    q.push(1);
    q.push(2);
    await q.close(20);
    expect(c.dropped.get("shutdown")).toBe(1);
    q.push(3);
    expect(c.dropped.get("shutdown")).toBe(2);
  });
});

describe("deliverEach", () => {
  test("keeps only the failed items for the retry; a round where everything fails stops the rest (backend down)", async () => {
    const items = [1, 2, 3, 4, 5, 6];
    const tried: number[] = [];
    await expect(deliverEach(items, 2, async (i) => (tried.push(i), i % 2 === 0 ? Promise.reject(new Error(`no ${i}`)) : undefined))).rejects.toThrow("no 2");
    expect(items).toEqual([2, 4, 6]);
    const down = [1, 2, 3, 4, 5, 6];
    const attempts: number[] = [];
    await expect(deliverEach(down, 2, async (i) => (attempts.push(i), Promise.reject(new SendError("ECONNREFUSED", true))))).rejects.toThrow("ECONNREFUSED");
    expect(attempts).toEqual([1, 2]);
    expect(down).toEqual([1, 2, 3, 4, 5, 6]);
    const ok = [1, 2, 3];
    await deliverEach(ok, 2, async () => undefined);
    expect(ok).toEqual([1, 2, 3]);
  });
});
