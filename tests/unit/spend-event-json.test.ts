import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventJson, rowJson } from "../../src/spend/event-json.ts";
import type { SpendEvent } from "../../src/spend/spend-log.ts";
import { SpillStore, spillName } from "../../src/spend/spill.ts";

/** The journal and spill lines reuse each row's JSON; they must read back as `JSON.stringify` of the event did. */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const full = {
  row: { request_id: "call-1", spend: 0.25, metadata: { note: "a \"quoted\" \u2028 line\n", deep: [1, { x: null }] }, request_tags: ["t"], api_key: "h", team_id: null, startTime: "2026-12-07T00:00:00.000Z" },
  error: { request_id: "call-1", exception_string: "boom", request_kwargs: { temperature: 0 } },
  cacheReadTokens: 3,
  cacheCreationTokens: 0,
  endpoint: "/v1/chat/completions",
  session: { id: "s-1", client: { name: "claude-code", version: "2.0" } },
} as unknown as SpendEvent;
const bare = { row: { request_id: "call-2", spend: 0 }, cacheReadTokens: 0, cacheCreationTokens: 0, endpoint: "/v1/messages" } as unknown as SpendEvent;

test("an event's line parses to what JSON.stringify of the event parsed to, with and without the optional fields", () => {
  for (const ev of [full, bare]) expect(JSON.parse(eventJson(ev))).toEqual(JSON.parse(JSON.stringify(ev)));
  expect(eventJson(bare)).not.toContain('"error"');
  expect(eventJson(bare)).not.toContain('"session"');
});

test("a row's JSON is made once and is the row's JSON.stringify", () => {
  expect(rowJson(full.row)).toBe(JSON.stringify(full.row));
  expect(rowJson(full.row)).toBe(rowJson(full.row));
});

test("spill files written with the new lines and with JSON.stringify lines both read back whole", () => {
  const dir = mkdtempSync(join(tmpdir(), "lr-event-json-"));
  dirs.push(dir);
  const store = new SpillStore(dir);
  writeFileSync(join(dir, spillName("old")), `${JSON.stringify(full)}\n${JSON.stringify(bare)}\n`);
  store.append([full, bare]);
  const files = store.files();
  expect(files.length).toBe(2);
  for (const f of files) expect(store.read(f)).toEqual(JSON.parse(JSON.stringify([full, bare])));
});
