import { statusForErrorType } from "../errors.ts";
import type { StreamEvent } from "../ir.ts";
import { num, obj, parseObj, str, type Obj } from "../json.ts";
import type { SseMessage } from "../sse.ts";
import type { StreamDecoder } from "../types.ts";
import { stopFromResponses, usageFromResponses } from "./upstream-response.ts";

/**
 * OpenAI Responses SSE → neutral stream events. Function calls are keyed by their output index;
 * a call whose arguments arrive only with its `done` event gets them then.
 */
export class ResponsesStreamDecoder implements StreamDecoder {
  /** Output index → whether arguments were streamed for that call. */
  private readonly calls = new Map<number, boolean>();

  push(m: SseMessage): StreamEvent[] {
    const d = parseObj(m.data);
    if (!d) return [];
    const index = num(d.output_index) ?? 0;
    switch (d.type ?? m.event) {
      case "response.created": {
        const r = obj(d.response);
        const usage = obj(r.usage);
        return [...(Object.keys(usage).length ? [{ type: "usage" as const, usage: usageFromResponses(usage) }] : []), { type: "start", id: str(r.id) ?? "" }];
      }
      case "response.output_item.added":
        return this.itemAdded(obj(d.item), index);
      case "response.output_item.done":
        return this.itemDone(obj(d.item), index);
      case "response.output_text.delta":
        return typeof d.delta === "string" && d.delta ? [{ type: "text", text: d.delta }] : [];
      case "response.refusal.delta":
        return typeof d.delta === "string" && d.delta ? [{ type: "refusal", text: d.delta }] : [];
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta":
        return typeof d.delta === "string" && d.delta ? [{ type: "thinking", text: d.delta }] : [];
      case "response.function_call_arguments.delta":
        if (typeof d.delta !== "string" || !d.delta || !this.calls.has(index)) return [];
        this.calls.set(index, true);
        return [{ type: "tool_args", key: index, delta: d.delta }];
      case "response.completed":
      case "response.incomplete": {
        const r = obj(d.response);
        return [{ type: "usage", usage: usageFromResponses(obj(r.usage)) }, { type: "stop", reason: stopFromResponses(r) }, { type: "end" }];
      }
      case "response.failed":
        return [this.error(obj(obj(d.response).error))];
      case "error":
        return [this.error(d)];
      default:
        return [];
    }
  }

  private itemAdded(item: Obj, index: number): StreamEvent[] {
    if (item.type !== "function_call") return [];
    this.calls.set(index, false);
    const out: StreamEvent[] = [{ type: "tool_start", key: index, id: str(item.call_id) ?? str(item.id) ?? "", name: str(item.name) ?? "" }];
    const args = str(item.arguments);
    if (args) {
      this.calls.set(index, true);
      out.push({ type: "tool_args", key: index, delta: args });
    }
    return out;
  }

  private itemDone(item: Obj, index: number): StreamEvent[] {
    if (item.type !== "function_call" || this.calls.get(index) !== false) return [];
    this.calls.set(index, true);
    const args = str(item.arguments);
    return args ? [{ type: "tool_args", key: index, delta: args }] : [];
  }

  private error(e: Obj): StreamEvent {
    const code = str(e.code) ?? str(e.type);
    return { type: "error", message: str(e.message) ?? "upstream error", errorType: code ?? "api_error", status: statusForErrorType(code === "rate_limit_exceeded" ? "rate_limit_error" : code) };
  }
}
