import { sseEvent } from "../../gateway/sse.ts";
import type { StreamEvent } from "../ir.ts";
import { randomId, type Obj } from "../json.ts";
import { StreamEncoderBase, type ContentEvent } from "../stream-encoder.ts";
import type { TranslateContext } from "../types.ts";
import { stopToChat, usageToChat } from "./response.ts";

/**
 * Neutral stream events → OpenAI chat completion chunks. Usage is always sent in a final chunk
 * (as with `stream_options.include_usage`): the gateway counts spend from it.
 */
export class ChatStreamEncoder extends StreamEncoderBase {
  private id = "";
  private readonly created = Math.floor(Date.now() / 1000);
  private started = false;
  private readonly toolIndex = new Map<number, number>();

  constructor(private readonly ctx: TranslateContext) {
    super();
  }

  protected content(e: ContentEvent): string {
    switch (e.type) {
      case "text":
        return this.chunk({ content: e.text });
      case "refusal":
        return this.chunk({ refusal: e.text });
      case "thinking":
        return this.chunk({ reasoning_content: e.text });
      case "signature":
      case "redacted_thinking":
        return "";
      case "tool_start": {
        const index = this.toolIndex.size;
        this.toolIndex.set(e.key, index);
        return this.chunk({ tool_calls: [{ index, id: e.id || randomId("call_"), type: "function", function: { name: e.name, arguments: "" } }] });
      }
      case "tool_args": {
        const index = this.toolIndex.get(e.key);
        return index === undefined ? "" : this.chunk({ tool_calls: [{ index, function: { arguments: e.delta } }] });
      }
    }
  }

  protected opening(): string {
    return this.started ? "" : this.chunk({ role: "assistant", content: "" });
  }

  finish(): string {
    const end = this.chunk({}, stopToChat(this.stop));
    const usage = sseEvent({ id: this.id, object: "chat.completion.chunk", created: this.created, model: this.ctx.model, choices: [], usage: usageToChat(this.usage) });
    return end + usage + "data: [DONE]\n\n";
  }

  error(e: Extract<StreamEvent, { type: "error" }>): string {
    return sseEvent({ error: { message: e.message, type: e.errorType, param: null, code: String(e.status) } });
  }

  private chunk(delta: Obj, finish: string | null = null): string {
    let head = "";
    if (!this.started) {
      this.started = true;
      this.id = this.upstreamId || randomId("chatcmpl-");
      if (!("role" in delta)) head = this.chunk({ role: "assistant", content: "" });
    }
    return head + sseEvent({ id: this.id, object: "chat.completion.chunk", created: this.created, model: this.ctx.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  }
}
