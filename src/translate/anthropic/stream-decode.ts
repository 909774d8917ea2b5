import { statusForErrorType } from "../errors.ts";
import type { StreamEvent } from "../ir.ts";
import { num, obj, parseObj, str, type Obj } from "../json.ts";
import type { SseMessage } from "../sse.ts";
import type { StreamDecoder, TranslateContext } from "../types.ts";
import { stopFromAnthropic, usageFromAnthropic } from "./response.ts";

/**
 * Anthropic Messages SSE → neutral stream events. Tool blocks are keyed by their content index;
 * the structured-output tool's arguments stream out as the answer's text.
 */
export class AnthropicStreamDecoder implements StreamDecoder {
  private readonly jsonBlocks = new Set<number>();

  constructor(private readonly ctx: TranslateContext) {}

  push(m: SseMessage): StreamEvent[] {
    const d = parseObj(m.data);
    if (!d) return [];
    const index = num(d.index) ?? 0;
    switch (d.type ?? m.event) {
      case "message_start": {
        const msg = obj(d.message);
        return [{ type: "start", id: str(msg.id) ?? "" }, { type: "usage", usage: usageFromAnthropic(obj(msg.usage)) }];
      }
      case "content_block_start":
        return this.blockStart(obj(d.content_block), index);
      case "content_block_delta":
        return this.delta(obj(d.delta), index);
      case "message_delta": {
        const delta = obj(d.delta);
        const out: StreamEvent[] = [{ type: "usage", usage: usageFromAnthropic(obj(d.usage)) }];
        if (delta.stop_reason) {
          const reason = stopFromAnthropic(delta.stop_reason);
          out.push({ type: "stop", reason: reason === "tool_use" && this.jsonBlocks.size ? "end" : reason, sequence: str(delta.stop_sequence) });
        }
        return out;
      }
      case "message_stop":
        return [{ type: "end" }];
      case "error": {
        const e = obj(d.error);
        const errorType = str(e.type) ?? "api_error";
        return [{ type: "error", message: str(e.message) ?? "upstream error", errorType, status: statusForErrorType(errorType) }];
      }
      default:
        return [];
    }
  }

  private blockStart(b: Obj, index: number): StreamEvent[] {
    switch (b.type) {
      case "text":
        return b.text ? [{ type: "text", text: String(b.text) }] : [];
      case "thinking":
        return b.thinking ? [{ type: "thinking", text: String(b.thinking) }] : [];
      case "redacted_thinking":
        return typeof b.data === "string" ? [{ type: "redacted_thinking", data: b.data }] : [];
      case "tool_use": {
        const input = obj(b.input);
        if (this.ctx.jsonTool && b.name === this.ctx.jsonTool) {
          this.jsonBlocks.add(index);
          return Object.keys(input).length ? [{ type: "text", text: JSON.stringify(input) }] : [];
        }
        const out: StreamEvent[] = [{ type: "tool_start", key: index, id: str(b.id) ?? "", name: str(b.name) ?? "" }];
        if (Object.keys(input).length) out.push({ type: "tool_args", key: index, delta: JSON.stringify(input) });
        return out;
      }
      default:
        return [];
    }
  }

  private delta(d: Obj, index: number): StreamEvent[] {
    switch (d.type) {
      case "text_delta":
        return typeof d.text === "string" ? [{ type: "text", text: d.text }] : [];
      case "thinking_delta":
        return typeof d.thinking === "string" ? [{ type: "thinking", text: d.thinking }] : [];
      case "signature_delta":
        return typeof d.signature === "string" ? [{ type: "signature", signature: d.signature }] : [];
      case "input_json_delta":
        if (typeof d.partial_json !== "string" || !d.partial_json) return [];
        return [this.jsonBlocks.has(index) ? { type: "text", text: d.partial_json } : { type: "tool_args", key: index, delta: d.partial_json }];
      default:
        return [];
    }
  }
}
