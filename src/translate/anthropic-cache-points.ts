import { EPHEMERAL, MAX_BREAKPOINTS, pointTargets } from "./cache-points.ts";
import type { CacheInjectionPoint } from "./types.ts";

type Obj = Record<string, unknown>;

/** One place a breakpoint can go: `blocks()` reads the blocks, `mark()` puts a copy with the breakpoint in the body. */
interface Slot {
  role: string;
  blocks(): Obj[];
  mark(control: Obj): boolean;
}

const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const uncacheable = new Set(["thinking", "redacted_thinking"]);
const hasMark = (blocks: Obj[]) => blocks.some((b) => b.cache_control != null);

/** Copies `blocks` with `control` on the last block that can carry one; undefined when none can. */
function markedCopy(blocks: Obj[], control: Obj): Obj[] | undefined {
  const at = blocks.findLastIndex((b) => !uncacheable.has(String(b.type)) && !(b.type === "text" && b.text === ""));
  if (at < 0) return undefined;
  const copy = blocks.slice();
  copy[at] = { ...blocks[at], cache_control: control };
  return copy;
}

const asBlocks = (content: unknown): Obj[] =>
  typeof content === "string" ? (content ? [{ type: "text", text: content }] : []) : Array.isArray(content) ? content.filter(isObj) : [];

function systemSlots(body: Obj): Slot[] {
  const system = body.system;
  if (typeof system === "string") {
    return [{ role: "system", blocks: () => asBlocks(body.system), mark: (c) => put(body, "system", asBlocks(system), c) }];
  }
  if (!Array.isArray(system)) return [];
  return system.map((block, i): Slot => ({
    role: "system",
    blocks: () => (isObj((body.system as unknown[])[i]) ? [(body.system as Obj[])[i]!] : []),
    mark: (c) => {
      const list = (body.system as unknown[]).slice();
      if (!isObj(block)) return false;
      list[i] = { ...block, cache_control: c };
      body.system = list;
      return true;
    },
  }));
}

function put(target: Obj, key: string, blocks: Obj[], control: Obj): boolean {
  const copy = markedCopy(blocks, control);
  if (!copy) return false;
  target[key] = copy;
  return true;
}

function messageSlots(body: Obj): Slot[] {
  if (!Array.isArray(body.messages)) return [];
  body.messages = body.messages.slice();
  const messages = body.messages as unknown[];
  return messages.flatMap((m, i): Slot[] => {
    if (!isObj(m)) return [];
    const blocks = asBlocks(m.content);
    const role = m.role === "user" && blocks.length > 0 && blocks.every((b) => b.type === "tool_result") ? "tool" : String(m.role);
    return [
      {
        role,
        blocks: () => asBlocks((messages[i] as Obj).content),
        mark: (c) => {
          const copy = { ...m };
          if (!put(copy, "content", blocks, c)) return false;
          messages[i] = copy;
          return true;
        },
      },
    ];
  });
}

function toolSlot(body: Obj): Slot | undefined {
  if (!Array.isArray(body.tools)) return undefined;
  const at = (body.tools as unknown[]).findLastIndex(isObj);
  if (at < 0) return undefined;
  return {
    role: "tools",
    blocks: () => [(body.tools as Obj[])[at]!],
    mark: (c) => {
      const copy = (body.tools as unknown[]).slice();
      copy[at] = { ...(copy[at] as Obj), cache_control: c };
      body.tools = copy;
      return true;
    },
  };
}

/**
 * A deployment's `cache_control_injection_points` on a native Anthropic Messages body (LiteLLM
 * applies them on `/v1/messages` too): `location: "system"` (or a `message` point with `role:
 * "system"`) marks the top-level system prompt, `location: "tools"` the last tool, a `message` point
 * the last block of the message at `index` or of every message with `role`. Places the client already
 * marked keep the client's breakpoint, and none are added beyond Anthropic's limit of four. Returns
 * a new body when anything changed (the client's is left as it was), else undefined.
 */
export function withAnthropicCachePoints(client: Obj, points: readonly CacheInjectionPoint[]): Obj | undefined {
  const body: Obj = { ...client };
  const system = systemSlots(body);
  const messages = messageSlots(body);
  const tools = toolSlot(body);
  const slots = [...system, ...messages, ...(tools ? [tools] : [])];
  let used = slots.reduce((n, s) => n + s.blocks().filter((b) => b.cache_control != null).length, 0);
  let changed = false;
  const markSlot = (slot: Slot | undefined, control: Obj) => {
    if (!slot || used >= MAX_BREAKPOINTS || hasMark(slot.blocks())) return;
    if (slot.mark(control)) {
      used++;
      changed = true;
    }
  };
  for (const point of points) {
    const control = (point.control ?? EPHEMERAL) as Obj;
    if (point.location === "tools") markSlot(tools, control);
    else if (point.location === "system" || (point.location === "message" && point.role === "system" && point.index == null)) markSlot(system.at(-1), control);
    else if (point.location === "message") for (const slot of pointTargets(point, [...system, ...messages])) markSlot(slot, control);
  }
  return changed ? body : undefined;
}
