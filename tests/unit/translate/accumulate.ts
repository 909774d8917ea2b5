import { expect } from "bun:test";
import { sseJson, sseMessages } from "./helpers.ts";

type Obj = Record<string, unknown>;

/** Rebuilds an Anthropic message from its SSE events, checking the event grammar clients rely on. */
export function anthropicFromSse(text: string) {
  const msgs = sseMessages(text);
  for (const m of msgs) expect(m.event).toBe((JSON.parse(m.data) as Obj).type as string);
  const events = msgs.map((m) => JSON.parse(m.data) as Obj);
  expect(events[0]!.type).toBe("message_start");
  const message = events[0]!.message as Obj;
  const blocks: Obj[] = [];
  const json: string[] = [];
  let open: number | undefined;
  let stop: Obj | undefined;
  let usage: Obj = { ...(message.usage as Obj) };
  for (const e of events.slice(1)) {
    if (e.type === "content_block_start") {
      expect(open, "one block open at a time").toBeUndefined();
      expect(e.index).toBe(blocks.length);
      open = e.index as number;
      blocks.push({ ...(e.content_block as Obj) });
      json.push("");
    } else if (e.type === "content_block_delta") {
      expect(e.index).toBe(open!);
      const d = e.delta as Obj;
      const b = blocks[open!]!;
      if (d.type === "text_delta") b.text = String(b.text) + String(d.text);
      else if (d.type === "thinking_delta") b.thinking = String(b.thinking) + String(d.thinking);
      else if (d.type === "signature_delta") b.signature = String(d.signature);
      else if (d.type === "input_json_delta") json[open!] += String(d.partial_json);
    } else if (e.type === "content_block_stop") {
      expect(e.index).toBe(open!);
      if (blocks[open!]!.type === "tool_use") blocks[open!]!.input = JSON.parse(json[open!] || "{}");
      open = undefined;
    } else if (e.type === "message_delta") {
      stop = e.delta as Obj;
      usage = { ...usage, ...(e.usage as Obj) };
    }
  }
  return { message, blocks, stop, usage, last: events.at(-1)!, events };
}

/** Rebuilds a chat completion from its chunks (what the OpenAI SDK's stream helpers do). */
export function chatFromSse(text: string) {
  const msgs = sseMessages(text);
  const done = msgs.at(-1)?.data === "[DONE]";
  const chunks = sseJson(text);
  let content = "";
  let reasoning = "";
  let finish: unknown = null;
  let usage: Obj | undefined;
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  const ids = new Set<unknown>();
  const models = new Set<unknown>();
  for (const c of chunks) {
    if (c.error) continue;
    ids.add(c.id);
    models.add(c.model);
    expect(c.object).toBe("chat.completion.chunk");
    if (c.usage) usage = c.usage as Obj;
    for (const ch of (c.choices as Obj[]) ?? []) {
      const d = ch.delta as Obj;
      if (typeof d.content === "string") content += d.content;
      if (typeof d.reasoning_content === "string") reasoning += d.reasoning_content;
      for (const tc of (d.tool_calls as Obj[]) ?? []) {
        const i = tc.index as number;
        const fn = (tc.function as Obj) ?? {};
        if (tc.id) {
          expect(i).toBe(calls.length);
          calls.push({ id: String(tc.id), name: String(fn.name), arguments: "" });
        }
        calls[i]!.arguments += String(fn.arguments ?? "");
      }
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  return { content, reasoning, calls, finish, usage, done, ids, models, error: chunks.find((c) => c.error)?.error as Obj | undefined, first: chunks[0] };
}

/** Responses events: checks sequence numbers and item bookkeeping, returns the completed response and the streamed deltas. */
export function responsesFromSse(text: string) {
  const msgs = sseMessages(text);
  const events = msgs.map((m) => {
    const e = JSON.parse(m.data) as Obj;
    expect(m.event).toBe(e.type as string);
    return e;
  });
  events.forEach((e, i) => expect(e.sequence_number).toBe(i));
  const added = new Map<number, Obj>();
  const done = new Map<number, Obj>();
  const deltas = new Map<string, string>();
  for (const e of events) {
    if (e.type === "response.output_item.added") {
      expect([...added.keys()].every((k) => done.has(k)), "previous item closed first").toBe(true);
      added.set(e.output_index as number, e.item as Obj);
    }
    if (e.type === "response.output_item.done") done.set(e.output_index as number, e.item as Obj);
    if (typeof e.delta === "string") deltas.set(String(e.item_id), (deltas.get(String(e.item_id)) ?? "") + e.delta);
  }
  const last = events.at(-1)!;
  return { events, types: events.map((e) => e.type), added, done, deltas, last, response: last.response as Obj | undefined };
}
