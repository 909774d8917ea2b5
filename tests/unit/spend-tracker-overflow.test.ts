import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "../../src/log.ts";
import { SpendBook } from "../../src/spend/book.ts";
import { SpendJournal } from "../../src/spend/journal.ts";
import type { SpendEvent } from "../../src/spend/spend-log.ts";
import { SpillStore } from "../../src/spend/spill.ts";
import { SpendTracker } from "../../src/spend/tracker.ts";
import type { SpendWriter } from "../../src/spend/writer.ts";

/** A full memory queue is written early while Postgres takes writes; spill files only while writes fail. */
const quiet = new Logger(false, false, () => {});
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const event = (n: number): SpendEvent =>
  ({ row: { request_id: `call-${n}`, spend: 0, metadata: {}, request_tags: [], api_key: "", user: "", team_id: null, end_user: "" }, cacheReadTokens: 0, cacheCreationTokens: 0, endpoint: "/v1/messages" }) as unknown as SpendEvent;

function tracker(write: (events: SpendEvent[]) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), "lr-tracker-"));
  dirs.push(dir);
  const written: string[] = [];
  const writer = { write: async (events: SpendEvent[]) => (await write(events), written.push(...events.map((e) => e.row.request_id))) } as unknown as SpendWriter;
  const spill = new SpillStore(dir);
  const t = new SpendTracker(writer, spill, new SpendJournal(dir, quiet), new SpendBook(), quiet, { intervalMs: 3_600_000, maxBuffered: 4 });
  return { t, spill, written };
}

describe("spend queue at its memory bound", () => {
  test("with Postgres up, reaching the bound starts a write instead of a synchronous spill file", async () => {
    const { t, spill, written } = tracker(async () => {});
    for (let i = 0; i < 4; i++) t.push(event(i));
    expect(spill.files()).toEqual([]);
    await t.flush();
    expect(written.sort()).toEqual(["call-0", "call-1", "call-2", "call-3"]);
    expect(t.buffered).toBe(0);
    await t.close();
  });

  test("while writes fail, reaching the bound moves the queue to a spill file, written once Postgres is back", async () => {
    let down = true;
    const { t, spill, written } = tracker(async () => {
      if (down) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    });
    t.push(event(0));
    await t.flush();
    expect(spill.files().length).toBe(1);
    for (let i = 1; i <= 4; i++) t.push(event(i));
    expect(t.buffered).toBe(0);
    expect(spill.files().length).toBe(2);
    down = false;
    await t.flush();
    expect(written.sort()).toEqual(["call-0", "call-1", "call-2", "call-3", "call-4"]);
    expect(spill.files()).toEqual([]);
    await t.close();
  });
});
