import type { Part, ToolCallPart, ToolResultPart, Turn } from "./ir.ts";

const callsOf = (t: Turn | undefined): ToolCallPart[] =>
  t?.role === "assistant" ? t.parts.filter((p): p is ToolCallPart => p.type === "tool_call") : [];

const placeholder = (id: string): ToolResultPart => ({
  type: "tool_result",
  id,
  content: [{ type: "text", text: "No result was recorded for this tool call." }],
  isError: true,
});

const resultText = (r: ToolResultPart) => r.content.map((c) => (c.type === "text" ? c.text : "[image]")).join("\n");

function merge(turns: Turn[]): Turn[] {
  const out: Turn[] = [];
  for (const t of turns) {
    if (!t.parts.length) continue;
    const last = out.at(-1);
    if (last && last.role === t.role) last.parts.push(...t.parts);
    else out.push({ role: t.role, parts: [...t.parts] });
  }
  return out;
}

/**
 * Both targets require every tool call to be answered in the very next user turn, and reject
 * results that answer no call. Histories from another protocol (an interrupted Codex turn, a
 * dropped hosted-tool call) can break that; missing results get a placeholder, and orphan results
 * become plain text so their content is not lost. Expects alternating roles (after `merge`).
 */
function pairResults(turns: Turn[]): Turn[] {
  const out: Turn[] = [];
  for (const t of turns) {
    if (t.role === "assistant") {
      out.push(t);
      continue;
    }
    const calls = callsOf(out.at(-1));
    const results = new Map<string, ToolResultPart>();
    const rest: Part[] = [];
    for (const p of t.parts) {
      if (p.type !== "tool_result") rest.push(p);
      else if (calls.some((c) => c.id === p.id) && !results.has(p.id)) results.set(p.id, p);
      else rest.push({ type: "text", text: `Result of tool call ${p.id}:\n${resultText(p)}` });
    }
    out.push({ role: "user", parts: [...calls.map((c) => results.get(c.id) ?? placeholder(c.id)), ...rest] });
  }
  const trailing = callsOf(out.at(-1));
  if (trailing.length) out.push({ role: "user", parts: trailing.map((c) => placeholder(c.id)) });
  return out;
}

/** Keeps the parts a target accepts, drops emptied turns, merges same-role neighbours, pairs tool results. */
export function prepareTurns(turns: Turn[], keep: (p: Part) => boolean): Turn[] {
  return pairResults(merge(turns.map((t) => ({ role: t.role, parts: t.parts.filter(keep) }))));
}
