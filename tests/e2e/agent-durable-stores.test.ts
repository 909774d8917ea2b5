import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Artifacts } from "../../src/agents/artifacts/artifacts.ts";
import { DirBlobStore } from "../../src/agents/artifacts/blobs.ts";
import { MemoryArtifactIndex } from "../../src/agents/artifacts/index-memory.ts";
import { PostgresArtifactIndex } from "../../src/agents/artifacts/index-pg.ts";
import { MemoryMemoryStore, type MemoryStore } from "../../src/agents/memory/store.ts";
import { PostgresMemoryStore } from "../../src/agents/memory/store-pg.ts";
import { MemorySessionStore, type SessionStore } from "../../src/agents/sessions/store.ts";
import { PostgresSessionStore } from "../../src/agents/sessions/store-pg.ts";
import type { Run } from "../../src/agents/types.ts";
import { Logger } from "../../src/log.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

let db: TestDb;
const dirs: string[] = [];

beforeAll(async () => {
  db = await createTestDb("lr_durable");
});

afterAll(async () => {
  await db?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const quiet = new Logger(false, false, () => {});
const run = (run_id: string, agent_id = "a") => ({ run_id, agent_id, session_id: null }) as Run;
const backends = ["postgres", "memory"] as const;

describe.each(backends)("artifact retention (%s index, directory blobs)", (backend) => {
  test("keeps the newest runs per agent and the protected ones; age removes the rest, blobs included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lr-artifacts-"));
    dirs.push(dir);
    const index = backend === "postgres" ? new PostgresArtifactIndex(db.sql) : new MemoryArtifactIndex();
    const a = new Artifacts(index, new DirBlobStore(dir), { inlineMaxBytes: 8, maxBytes: 1 << 20, retentionDays: 1, retentionRuns: 2 }, backend === "postgres" ? "db" : "memory", quiet);
    await a.init();
    const tag = `${backend}-${Date.now()}`;
    const ids = [1, 2, 3, 4].map((i) => `${tag}-r${i}`);
    for (const id of ids) {
      await a.save(run(id), { path: "files/small.txt", kind: "file", data: new TextEncoder().encode("tiny") });
      await a.save(run(id), { path: "files/big.bin", kind: "file", data: new Uint8Array(100).fill(7) });
      await Bun.sleep(5);
    }
    await a.save(run(`${tag}-b1`, `b-${tag}`), { path: "files/x.txt", kind: "file", data: new TextEncoder().encode("other agent") });
    const big = (id: string) => join(dir, "a", id, "files/big.bin");
    expect((await a.get(ids[0]!, "files/small.txt"))!.storage).toBe(backend === "postgres" ? "db" : "memory");
    expect((await a.get(ids[0]!, "files/big.bin"))!.storage).toBe("dir");
    expect(existsSync(big(ids[1]!))).toBe(true);

    expect(await a.prune([ids[0]!])).toBe(2);
    expect(await a.list(ids[1]!)).toEqual([]);
    expect(existsSync(big(ids[1]!))).toBe(false);
    const kept = (await a.get(ids[0]!, "files/big.bin"))!;
    expect(await a.read(kept)).toEqual(new Uint8Array(100).fill(7));
    expect(new TextDecoder().decode(await a.read((await a.get(ids[3]!, "files/small.txt"))!))).toBe("tiny");
    expect((await a.list(`${tag}-b1`)).length).toBe(1);

    await a.prune([], Date.now() + 2 * 86_400_000);
    for (const id of [...ids, `${tag}-b1`]) expect(await a.list(id)).toEqual([]);
    expect(existsSync(big(ids[0]!))).toBe(false);
  });
});

describe.each(backends)("memory versions (%s)", (backend) => {
  test("versions count up, concurrent writers get distinct versions, only the newest are kept", async () => {
    const store: MemoryStore = backend === "postgres" ? new PostgresMemoryStore(db.sql) : new MemoryMemoryStore();
    await store.init();
    const agent = `agent-${backend}`;
    const written = await Promise.all([1, 2, 3, 4, 5].map((i) => store.insert({ agent_id: agent, scope: "", content: `note ${i}`, source: "api", run_id: null }, 3)));
    expect(written.map((w) => w.version).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await store.versions(agent, "")).map((v) => v.version)).toEqual([5, 4, 3]);
    expect((await store.latest(agent, ""))!.version).toBe(5);
    expect(await store.get(agent, "", 1)).toBeUndefined();
    await store.insert({ agent_id: agent, scope: "s1", content: "session", source: "run", run_id: "r" }, 3);
    expect(await store.clear(agent, "")).toBe(3);
    expect((await store.latest(agent, "s1"))!.content).toBe("session");
  });
});

describe.each(backends)("session turns (%s)", (backend) => {
  test("two messages racing for the same turn: exactly one wins; a released turn can be claimed again", async () => {
    const store: SessionStore = backend === "postgres" ? new PostgresSessionStore(db.sql) : new MemorySessionStore();
    await store.init();
    const now = new Date().toISOString();
    const id = `s-${backend}`;
    await store.create({ session_id: id, agent_id: "a", title: null, claude_session_id: crypto.randomUUID(), state_run_id: null, state_error: null, active_run_id: null, turns: 0, created_at: now, updated_at: now });
    const claims = await Promise.all([store.claimTurn(id, 0, "run-a"), store.claimTurn(id, 0, "run-b")]);
    expect(claims.filter(Boolean).length).toBe(1);
    const winner = claims[0] ? "run-a" : "run-b";
    expect(await store.get(id)).toMatchObject({ turns: 1, active_run_id: winner });
    await store.releaseTurn(id, winner);
    expect(await store.claimTurn(id, 0, "run-c")).toBe(true);
    await store.setState(id, "run-c");
    expect(await store.stateRuns()).toContain("run-c");
    await store.setStateError(id, "turn 2 could not save");
    expect(await store.get(id)).toMatchObject({ state_run_id: "run-c", state_error: "turn 2 could not save" });
    expect(await store.claimTurn(id, 1, "run-d")).toBe(true);
    expect(await store.get(id)).toMatchObject({ state_run_id: "run-c", state_error: "turn 2 could not save" });
    expect(await store.claimTurn(id, 2, "run-e", true)).toBe(true);
    expect(await store.get(id)).toMatchObject({ turns: 3, active_run_id: "run-e", state_run_id: null, state_error: null });
    await store.setStateError(id, "again");
    await store.setState(id, "run-e");
    expect(await store.get(id)).toMatchObject({ state_run_id: "run-e", state_error: null });
    expect(await store.delete(id)).toBe(true);
    expect(await store.get(id)).toBeUndefined();
  });
});
