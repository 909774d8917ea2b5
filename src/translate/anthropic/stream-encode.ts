import { sseEvent } from "../../gateway/sse.ts";
import { anthropicErrorType } from "../errors.ts";
import type { StreamEvent } from "../ir.ts";
import { randomId, type Obj } from "../json.ts";
import { StreamEncoderBase, type ContentEvent } from "../stream-encoder.ts";
import type { TranslateContext } from "../types.ts";
import { refusedStop, stopToAnthropic, usageToAnthropic } from "./response.ts";

type Block = { kind: "text" } | { kind: "thinking"; signed: boolean } | { kind: "redacted" } | { kind: "tool"; key: number };

const ev = (type: string, data: Obj) => sseEvent({ type, ...data }, type);

/**
 * Neutral stream events → Anthropic Messages SSE. The exact usage goes in `message_delta`, which
 * the SDKs merge into the message, since OpenAI-style upstreams only report it at the end;
 * `message_start` carries the best figure known when it is sent: the upstream's if it reported
 * usage first, else the gateway's estimate (`ctx.inputTokens`).
 */
export class AnthropicStreamEncoder extends StreamEncoderBase {
  private started = false;
  private refused = false;
  private index = -1;
  private open: Block | undefined;
  private readonly toolIndex = new Map<number, number>();

  constructor(private readonly ctx: TranslateContext) {
    super();
  }

  protected content(e: ContentEvent): string {
    switch (e.type) {
      case "refusal":
        this.refused = true;
        return this.ensure({ kind: "text" }, { type: "text", text: "" }) + this.delta({ type: "text_delta", text: e.text });
      case "text":
        return this.ensure({ kind: "text" }, { type: "text", text: "" }) + this.delta({ type: "text_delta", text: e.text });
      case "thinking": {
        const reuse = this.open?.kind === "thinking" && !this.open.signed;
        const head = reuse ? "" : this.begin({ kind: "thinking", signed: false }, { type: "thinking", thinking: "", signature: "" });
        return head + this.delta({ type: "thinking_delta", thinking: e.text });
      }
      case "signature":
        if (this.open?.kind !== "thinking") return "";
        this.open.signed = true;
        return this.delta({ type: "signature_delta", signature: e.signature });
      case "redacted_thinking":
        return this.begin({ kind: "redacted" }, { type: "redacted_thinking", data: e.data }) + this.close();
      case "tool_start": {
        const out = this.begin({ kind: "tool", key: e.key }, { type: "tool_use", id: e.id || randomId("toolu_"), name: e.name, input: {} });
        this.toolIndex.set(e.key, this.index);
        return out;
      }
      case "tool_args": {
        const at = this.toolIndex.get(e.key);
        if (at === undefined || !e.delta) return "";
        return ev("content_block_delta", { index: at, delta: { type: "input_json_delta", partial_json: e.delta } });
      }
    }
  }

  protected opening(): string {
    return this.preamble();
  }

  finish(): string {
    return (
      this.preamble() +
      this.close() +
      ev("message_delta", {
        delta: { stop_reason: stopToAnthropic(refusedStop(this.stop, this.refused)), stop_sequence: this.stopSequence ?? null },
        usage: usageToAnthropic(this.usage),
      }) +
      ev("message_stop", {})
    );
  }

  error(e: Extract<StreamEvent, { type: "error" }>): string {
    return this.close() + ev("error", { error: { type: anthropicErrorType(e.status), message: e.message } });
  }

  private preamble(): string {
    if (this.started) return "";
    this.started = true;
    const message = {
      id: this.upstreamId || randomId("msg_"),
      type: "message",
      role: "assistant",
      model: this.ctx.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usageToAnthropic({ ...this.usage, input: this.usage.input || (this.ctx.inputTokens ?? 0) }), output_tokens: 0 },
    };
    return ev("message_start", { message });
  }

  private delta(delta: Obj): string {
    return ev("content_block_delta", { index: this.index, delta });
  }

  private ensure(b: Block, start: Obj): string {
    return this.open?.kind === b.kind ? "" : this.begin(b, start);
  }

  private begin(b: Block, start: Obj): string {
    const out = this.preamble() + this.close();
    this.index++;
    this.open = b;
    return out + ev("content_block_start", { index: this.index, content_block: start });
  }

  private close(): string {
    if (!this.open) return "";
    this.open = undefined;
    return ev("content_block_stop", { index: this.index });
  }
}
