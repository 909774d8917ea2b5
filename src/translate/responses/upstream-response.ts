import { withTools, type Reply, type StopReason, type TokenUsage } from "../ir.ts";
import { num, obj, objs, str, type Obj } from "../json.ts";

/** A Responses usage object in neutral terms (`input_tokens` already includes cached tokens). */
export function usageFromResponses(u: Obj): Partial<TokenUsage> {
  const out: Partial<TokenUsage> = {};
  const set = (k: keyof TokenUsage, v: number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set("input", num(u.input_tokens));
  set("output", num(u.output_tokens));
  set("cacheRead", num(obj(u.input_tokens_details).cached_tokens));
  set("reasoning", num(obj(u.output_tokens_details).reasoning_tokens));
  return out;
}

/** `incomplete` responses say why; everything else ended normally. */
export function stopFromResponses(response: Obj): StopReason {
  if (response.status !== "incomplete") return "end";
  const reason = str(obj(response.incomplete_details).reason);
  return reason === "max_output_tokens" ? "max_tokens" : reason === "content_filter" ? "content_filter" : "end";
}

/** Reasoning as text: OpenAI's summaries, or the full reasoning open models put in `content`. */
export function reasoningText(item: Obj): string {
  const summary = objs(item.summary).map((s) => str(s.text) ?? "");
  const content = objs(item.content).map((s) => str(s.text) ?? "");
  return (summary.some(Boolean) ? summary : content).join("\n\n");
}

/** A Response object (upstream answer) as a neutral reply; hosted-tool items have no counterpart. */
export function decodeResponsesResponse(body: Obj): Reply {
  const parts: Reply["parts"] = [];
  for (const it of objs(body.output)) {
    if (it.type === "reasoning") {
      const text = reasoningText(it);
      if (text) parts.push({ type: "thinking", text });
    } else if (it.type === "message") {
      for (const c of objs(it.content)) {
        if (c.type === "output_text" && typeof c.text === "string") parts.push({ type: "text", text: c.text });
        else if (c.type === "refusal" && typeof c.refusal === "string") parts.push({ type: "refusal", text: c.refusal });
      }
    } else if (it.type === "function_call") {
      parts.push({ type: "tool_call", id: str(it.call_id) ?? str(it.id) ?? "", name: str(it.name) ?? "", arguments: str(it.arguments) ?? "" });
    }
  }
  const u = usageFromResponses(obj(body.usage));
  return {
    id: str(body.id) ?? "",
    parts,
    stop: withTools(stopFromResponses(body), parts),
    usage: { input: u.input ?? 0, output: u.output ?? 0, cacheRead: u.cacheRead ?? 0, cacheWrite: 0, reasoning: u.reasoning ?? 0 },
  };
}
