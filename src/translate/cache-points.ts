import { cacheable, type CacheControl, type Conversation, type Part, type TextPart } from "./ir.ts";
import type { CacheInjectionPoint } from "./types.ts";

/** Anthropic rejects a request with more than four `cache_control` breakpoints. */
export const MAX_BREAKPOINTS = 4;
export const EPHEMERAL: CacheControl = { type: "ephemeral" };

/** A message as LiteLLM's hook sees it (OpenAI order: system messages, then the turns; tool results are role "tool"). */
interface Message {
  role: string;
  parts: Part[];
}

const marked = (parts: Part[]) => parts.filter((p) => cacheable(p) && p.cache).length;

function messages(conv: Conversation): Message[] {
  const system = conv.system.map((s): Message => ({ role: "system", parts: [s satisfies TextPart] }));
  const turns = conv.turns.map((t): Message => ({
    role: t.role === "user" && t.parts.length && t.parts.every((p) => p.type === "tool_result") ? "tool" : t.role,
    parts: t.parts,
  }));
  return [...system, ...turns];
}

/** The messages a `message` point names: the one at `index` (negative counts from the end), else every one with `role`. */
export function pointTargets<M extends { role: string }>(point: CacheInjectionPoint, list: M[]): M[] {
  const index = typeof point.index === "string" ? Number.parseInt(point.index, 10) : point.index;
  if (typeof index === "number" && Number.isInteger(index)) {
    const at = index < 0 ? index + list.length : index;
    return at >= 0 && at < list.length ? [list[at]!] : [];
  }
  return point.role ? list.filter((m) => m.role === point.role) : [];
}

/**
 * LiteLLM's `cache_control_injection_points` (a deployment's `litellm_params`): `system` marks the
 * last system block, `tools` the last tool, and each `message` point marks the last block of the message at `index` (negative counts from the end) or of every
 * message with `role`, with `control` or `{type: "ephemeral"}`. Messages the client already marked
 * keep the client's breakpoint, and no more are added once Anthropic's limit of four is reached.
 */
export function injectCachePoints(conv: Conversation, points: readonly CacheInjectionPoint[]): void {
  const list = messages(conv);
  let used = list.reduce((n, m) => n + marked(m.parts), 0) + conv.tools.filter((t) => t.cache).length;
  for (const point of points) {
    if (point.location === "tools") {
      const tool = conv.tools.at(-1);
      if (tool && !tool.cache && used < MAX_BREAKPOINTS) {
        tool.cache = point.control ?? EPHEMERAL;
        used++;
      }
      continue;
    }
    const chosen = point.location === "system" ? list.filter((m) => m.role === "system").slice(-1) : point.location === "message" ? pointTargets(point, list) : [];
    for (const m of chosen) {
      if (used >= MAX_BREAKPOINTS) return;
      if (marked(m.parts)) continue;
      const last = m.parts.findLast(cacheable);
      if (!last) continue;
      last.cache = point.control ?? EPHEMERAL;
      used++;
    }
  }
}
