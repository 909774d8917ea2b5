import { statusForErrorType } from "../errors.ts";
import type { StreamEvent } from "../ir.ts";
import { isObj, num, obj, objs, parseObj, randomId, str } from "../json.ts";
import type { SseMessage } from "../sse.ts";
import type { StreamDecoder } from "../types.ts";
import { reasoningOf, stopFromChat, usageFromChat } from "./response.ts";

interface PendingCall {
  id?: string;
  name?: string;
  args: string;
  started: boolean;
}

/**
 * OpenAI chat completion chunks → neutral stream events. Tool calls are keyed by their `index`;
 * a call is announced once its name is known (some servers send the name after the id), with any
 * arguments that arrived before it.
 */
export class ChatStreamDecoder implements StreamDecoder {
  private started = false;
  private readonly calls = new Map<number, PendingCall>();

  push(m: SseMessage): StreamEvent[] {
    if (m.data.trim() === "[DONE]") return [{ type: "end" }];
    const d = parseObj(m.data);
    if (!d) return [];
    if (isObj(d.error)) {
      const e = d.error;
      const errorType = str(e.type) ?? str(e.code) ?? "api_error";
      return [{ type: "error", message: str(e.message) ?? "upstream error", errorType, status: statusForErrorType(errorType, e.code) }];
    }
    // Usage first: a server that reports it at the start (or in every chunk) lets the client's opening event carry it.
    const out: StreamEvent[] = isObj(d.usage) ? [{ type: "usage", usage: usageFromChat(d.usage) }] : [];
    if (!this.started) {
      this.started = true;
      out.push({ type: "start", id: str(d.id) ?? "" });
    }
    const choice = objs(d.choices)[0];
    if (choice) {
      const delta = obj(choice.delta);
      const reasoning = reasoningOf(delta);
      if (reasoning) out.push({ type: "thinking", text: reasoning });
      if (typeof delta.content === "string" && delta.content) out.push({ type: "text", text: delta.content });
      if (typeof delta.refusal === "string" && delta.refusal) out.push({ type: "refusal", text: delta.refusal });
      objs(delta.tool_calls).forEach((tc, i) => this.toolDelta(tc, i, out));
      if (choice.finish_reason) out.push({ type: "stop", reason: stopFromChat(choice.finish_reason) });
    }
    return out;
  }

  private toolDelta(tc: Record<string, unknown>, position: number, out: StreamEvent[]): void {
    const key = num(tc.index) ?? position;
    const fn = obj(tc.function);
    let call = this.calls.get(key);
    if (!call) this.calls.set(key, (call = { args: "", started: false }));
    call.id ??= str(tc.id) || undefined;
    call.name ??= str(fn.name) || undefined;
    const args = str(fn.arguments) ?? "";
    if (!call.started) {
      call.args += args;
      if (!call.name) return;
      call.started = true;
      out.push({ type: "tool_start", key, id: call.id ?? randomId("call_"), name: call.name });
      if (call.args) out.push({ type: "tool_args", key, delta: call.args });
      return;
    }
    if (args) out.push({ type: "tool_args", key, delta: args });
  }
}
