import { sseEvent } from "../../gateway/sse.ts";
import type { StreamEvent, ToolCallPart } from "../ir.ts";
import { randomId, type Obj } from "../json.ts";
import { StreamEncoderBase, type ContentEvent } from "../stream-encoder.ts";
import type { TranslateContext } from "../types.ts";
import { callItem, messageItem, outputText, reasoningItem, refusalContent, rememberTurn, responseId, responseObject } from "./response.ts";

/** One content part of a message being streamed: output text, or a refusal. */
type Content = { refusal: boolean; text: string };

type Open =
  | { kind: "message"; id: string; index: number; parts: Content[] }
  | { kind: "reasoning"; id: string; index: number; text: string; signature: string; signed: boolean }
  | { kind: "call"; id: string; index: number; key: number; part: ToolCallPart; custom: boolean };

const contentPart = (c: Content): Obj => (c.refusal ? refusalContent(c.text) : outputText(c.text));

/** Upstream error types as the Responses `error.code` values clients act on (Codex retries, compacts, ...). */
function errorCode(status: number, message: string): string {
  if (status === 429) return "rate_limit_exceeded";
  if (/context|too long|too many tokens/i.test(message)) return "context_length_exceeded";
  return status >= 500 ? "server_error" : "invalid_request";
}

/**
 * Neutral stream events → OpenAI Responses SSE: items opened and closed one at a time with the
 * same event sequence OpenAI sends, then `response.completed` carrying the whole output and usage.
 */
export class ResponsesStreamEncoder extends StreamEncoderBase {
  private seq = 0;
  private id = "";
  private readonly created = Math.floor(Date.now() / 1000);
  private started = false;
  private readonly output: Obj[] = [];
  private open: Open | undefined;

  constructor(private readonly ctx: TranslateContext) {
    super();
  }

  protected content(e: ContentEvent): string {
    switch (e.type) {
      case "text":
        return this.text(e.text, false);
      case "refusal":
        return this.text(e.text, true);
      case "thinking":
        return this.thinking(e.text);
      case "signature":
        if (this.open?.kind === "reasoning") {
          this.open.signature += e.signature;
          this.open.signed = true;
        }
        return "";
      case "redacted_thinking": {
        const head = this.preamble() + this.close();
        const item = reasoningItem(randomId("rs_"), { type: "redacted_thinking", data: e.data });
        const index = this.output.length;
        this.output.push(item);
        return head + this.ev("response.output_item.added", { output_index: index, item }) + this.ev("response.output_item.done", { output_index: index, item });
      }
      case "tool_start":
        return this.toolStart(e.key, e.id, e.name);
      case "tool_args": {
        const o = this.open;
        if (o?.kind !== "call" || o.key !== e.key) return "";
        o.part.arguments += e.delta;
        return o.custom ? "" : this.ev("response.function_call_arguments.delta", { item_id: o.id, output_index: o.index, delta: e.delta });
      }
    }
  }

  protected opening(): string {
    return this.preamble();
  }

  finish(): string {
    const head = this.preamble() + this.close();
    const response = responseObject(this.id, this.created, this.ctx, this.output, this.stop, this.usage);
    rememberTurn(this.ctx, this.id, this.output);
    const type = response.status === "incomplete" ? "response.incomplete" : "response.completed";
    return head + this.ev(type, { response });
  }

  error(e: Extract<StreamEvent, { type: "error" }>): string {
    const head = this.preamble() + this.close();
    const code = errorCode(e.status, e.message);
    const response = { ...responseObject(this.id, this.created, this.ctx, this.output), status: "failed", error: { code, message: e.message } };
    return head + this.ev("error", { code, message: e.message, param: null }) + this.ev("response.failed", { response });
  }

  private ev(type: string, data: Obj): string {
    return sseEvent({ type, sequence_number: this.seq++, ...data }, type);
  }

  private preamble(): string {
    if (this.started) return "";
    this.started = true;
    this.id = responseId(this.upstreamId);
    const response = responseObject(this.id, this.created, this.ctx, []);
    return this.ev("response.created", { response }) + this.ev("response.in_progress", { response });
  }

  /** Text or refusal: a message item is opened (or kept), and a content part of that kind within it. */
  private text(delta: string, refusal: boolean): string {
    let head = "";
    if (this.open?.kind !== "message") {
      head = this.preamble() + this.close();
      this.open = { kind: "message", id: randomId("msg_"), index: this.output.length, parts: [] };
      head += this.ev("response.output_item.added", { output_index: this.open.index, item: messageItem(this.open.id, [], "in_progress") });
    }
    const o = this.open;
    let part = o.parts.at(-1);
    if (part?.refusal !== refusal) {
      head += this.closePart(o);
      part = { refusal, text: "" };
      o.parts.push(part);
      head += this.ev("response.content_part.added", { item_id: o.id, output_index: o.index, content_index: o.parts.length - 1, part: contentPart(part) });
    }
    part.text += delta;
    const at = { item_id: o.id, output_index: o.index, content_index: o.parts.length - 1, delta };
    return head + (refusal ? this.ev("response.refusal.delta", at) : this.ev("response.output_text.delta", { ...at, logprobs: [] }));
  }

  /** The done events of a message's last content part. */
  private closePart(o: Extract<Open, { kind: "message" }>): string {
    const part = o.parts.at(-1);
    if (!part) return "";
    const at = { item_id: o.id, output_index: o.index, content_index: o.parts.length - 1 };
    const done = part.refusal
      ? this.ev("response.refusal.done", { ...at, refusal: part.text })
      : this.ev("response.output_text.done", { ...at, text: part.text, logprobs: [] });
    return done + this.ev("response.content_part.done", { ...at, part: contentPart(part) });
  }

  private thinking(delta: string): string {
    let head = "";
    if (this.open?.kind !== "reasoning" || this.open.signed) {
      head = this.preamble() + this.close();
      const o = { kind: "reasoning" as const, id: randomId("rs_"), index: this.output.length, text: "", signature: "", signed: false };
      this.open = o;
      head +=
        this.ev("response.output_item.added", { output_index: o.index, item: { type: "reasoning", id: o.id, summary: [] } }) +
        this.ev("response.reasoning_summary_part.added", { item_id: o.id, output_index: o.index, summary_index: 0, part: { type: "summary_text", text: "" } });
    }
    const o = this.open as Extract<Open, { kind: "reasoning" }>;
    o.text += delta;
    return head + this.ev("response.reasoning_summary_text.delta", { item_id: o.id, output_index: o.index, summary_index: 0, delta });
  }

  private toolStart(key: number, callId: string, name: string): string {
    const head = this.preamble() + this.close();
    const part: ToolCallPart = { type: "tool_call", id: callId || randomId("call_"), name, arguments: "" };
    const custom = this.ctx.tools?.get(name)?.custom === true;
    const o = { kind: "call" as const, id: randomId(custom ? "ctc_" : "fc_"), index: this.output.length, key, part, custom };
    this.open = o;
    const item = { ...callItem(o.id, part, this.ctx, "in_progress"), ...(custom ? { input: "" } : { arguments: "" }) };
    return head + this.ev("response.output_item.added", { output_index: o.index, item });
  }

  private close(): string {
    const o = this.open;
    if (!o) return "";
    this.open = undefined;
    let out = "";
    let item: Obj;
    const at = { item_id: o.id, output_index: o.index };
    if (o.kind === "message") {
      item = messageItem(o.id, o.parts.map(contentPart));
      out += this.closePart(o);
    } else if (o.kind === "reasoning") {
      item = reasoningItem(o.id, { type: "thinking", text: o.text, signature: o.signature || undefined });
      out += this.ev("response.reasoning_summary_text.done", { ...at, summary_index: 0, text: o.text });
      out += this.ev("response.reasoning_summary_part.done", { ...at, summary_index: 0, part: { type: "summary_text", text: o.text } });
    } else {
      item = callItem(o.id, o.part, this.ctx);
      if (o.custom) {
        const input = String(item.input);
        out += this.ev("response.custom_tool_call_input.delta", { ...at, delta: input });
        out += this.ev("response.custom_tool_call_input.done", { ...at, input });
      } else {
        out += this.ev("response.function_call_arguments.done", { ...at, arguments: item.arguments });
      }
    }
    this.output.push(item);
    return out + this.ev("response.output_item.done", { output_index: o.index, item });
  }
}
