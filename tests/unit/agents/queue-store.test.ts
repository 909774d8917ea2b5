import { describe, expect, test } from "bun:test";
import { RunQueue } from "../../../src/agents/queue.ts";
import type { AgentDef } from "../../../src/agents/definitions.ts";
import { MemoryRunStore } from "../../../src/agents/store/memory.ts";

const agent = (id: string, maxConcurrency = 1) => ({ id, maxConcurrency }) as AgentDef;

describe("run queue", () => {
  test("global and per-agent limits: extra runs wait and start in order", async () => {
    const q = new RunQueue(2);
    const started: string[] = [];
    const release = new Map<string, () => void>();
    const start = (id: string) => async () => {
      started.push(id);
      await new Promise<void>((r) => release.set(id, r));
    };
    q.enqueue("a1", agent("a"), start("a1"));
    q.enqueue("a2", agent("a"), start("a2"));
    q.enqueue("b1", agent("b"), start("b1"));
    q.enqueue("c1", agent("c"), start("c1"));
    await Bun.sleep(5);
    expect(started).toEqual(["a1", "b1"]);
    release.get("a1")!();
    await Bun.sleep(5);
    expect(started).toEqual(["a1", "b1", "a2"]);
    release.get("b1")!();
    await Bun.sleep(5);
    expect(started).toEqual(["a1", "b1", "a2", "c1"]);
  });

  test("abort removes a waiting run or signals a running one", async () => {
    const q = new RunQueue(1);
    let reason: unknown;
    q.enqueue("r1", agent("a"), (signal) => new Promise<void>((res) => signal.addEventListener("abort", () => ((reason = signal.reason), res()))));
    q.enqueue("r2", agent("b"), async () => {});
    expect(q.abort("r2", "cancelled")).toBe("waiting");
    expect(q.abort("r1", "cancelled")).toBe("running");
    await Bun.sleep(5);
    expect(reason).toBe("cancelled");
    expect(q.abort("r1", "x")).toBeUndefined();
  });
});

describe("memory run store", () => {
  test("a cron tick is claimed once", async () => {
    const s = new MemoryRunStore();
    const t = new Date("2026-01-01T09:00:00Z");
    expect(await s.claimTick("a", t, "r1")).toBe(true);
    expect(await s.claimTick("a", t, "r2")).toBe(false);
    expect(await s.claimTick("b", t, "r3")).toBe(true);
  });

  test("events are numbered per run and replayed after a sequence number", async () => {
    const s = new MemoryRunStore();
    for (const t of ["run.started", "output.delta", "run.completed"] as const) await s.appendEvent("r", t, {});
    expect((await s.events("r", 1)).map((e) => e.seq)).toEqual([2, 3]);
  });
});
