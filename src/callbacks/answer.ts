import type { LLMRequest } from "../gateway/types.ts";
import type { Protocol } from "../providers/types.ts";
import { anthropicClient, anthropicUpstream } from "../translate/anthropic/index.ts";
import { chatClient, chatUpstream } from "../translate/chat/index.ts";
import { zeroUsage, type Reply, type ReplyPart, type StreamEvent } from "../translate/ir.ts";
import { responsesClient, responsesUpstream } from "../translate/responses/index.ts";
import { SseParser } from "../translate/sse.ts";
import type { ClientCodec, TranslateContext, UpstreamCodec } from "../translate/types.ts";

type Obj = Record<string, unknown>;

/** The answer the client got, rebuilt off the request path for the logs. */
export interface Answer {
  /** In the client's protocol: the JSON body, or the whole answer a stream added up to. */
  body: Obj;
  /** The assistant turn as an OpenAI chat message (Langfuse output, OpenTelemetry output messages). */
  message: Obj;
  finishReason?: string;
}

const CODECS: Partial<Record<Protocol, { read: UpstreamCodec; write: ClientCodec }>> = {
  "openai-chat": { read: chatUpstream, write: chatClient },
  "anthropic-messages": { read: anthropicUpstream, write: anthropicClient },
  "openai-responses": { read: responsesUpstream, write: responsesClient },
};

const FINISH: Record<string, string> = { end: "stop", max_tokens: "length", tool_use: "tool_calls", stop_sequence: "stop", content_filter: "content_filter" };

function fold(events: StreamEvent[]): Reply {
  const reply: Reply = { id: "", parts: [], stop: "end", usage: zeroUsage() };
  const tools = new Map<number, Extract<ReplyPart, { type: "tool_call" }>>();
  const last = () => reply.parts.at(-1);
  for (const ev of events) {
    switch (ev.type) {
      case "start":
        reply.id = ev.id;
        break;
      case "text":
      case "refusal":
      case "thinking": {
        const p = last();
        if (p && p.type === ev.type) p.text += ev.text;
        else reply.parts.push({ type: ev.type, text: ev.text });
        break;
      }
      case "signature": {
        const p = last();
        if (p?.type === "thinking") p.signature = ev.signature;
        break;
      }
      case "redacted_thinking":
        reply.parts.push({ type: "redacted_thinking", data: ev.data });
        break;
      case "tool_start": {
        const call = { type: "tool_call" as const, id: ev.id, name: ev.name, arguments: "" };
        tools.set(ev.key, call);
        reply.parts.push(call);
        break;
      }
      case "tool_args": {
        const call = tools.get(ev.key);
        if (call) call.arguments += ev.delta;
        break;
      }
      case "stop":
        reply.stop = ev.reason;
        if (ev.sequence) reply.stopSequence = ev.sequence;
        break;
      case "usage":
        Object.assign(reply.usage, ev.usage);
        break;
    }
  }
  return reply;
}

function chatMessage(r: Reply): Obj {
  const text = r.parts.filter((p) => p.type === "text").map((p) => (p as { text: string }).text).join("");
  const calls = r.parts.filter((p) => p.type === "tool_call") as Array<Extract<ReplyPart, { type: "tool_call" }>>;
  const thinking = r.parts.filter((p) => p.type === "thinking").map((p) => (p as { text: string }).text).join("");
  const refusal = r.parts.find((p) => p.type === "refusal") as { text: string } | undefined;
  const m: Obj = { role: "assistant", content: text || null };
  if (calls.length) m.tool_calls = calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }));
  if (thinking) m.reasoning_content = thinking;
  if (refusal) m.refusal = refusal.text;
  return m;
}

/** Rebuilds the answer from what the attempt kept (`req.observed`); undefined when nothing was kept. */
export function answerOf(req: LLMRequest): Answer | undefined {
  const obs = req.observed;
  const codec = CODECS[req.protocol];
  if (!obs || !codec) return undefined;
  const ctx: TranslateContext = { model: req.model };
  try {
    let reply: Reply;
    let body: Obj;
    if (obs.responseText !== undefined) {
      body = JSON.parse(obs.responseText) as Obj;
      reply = codec.read.decodeResponse(body, ctx);
    } else if (obs.chunks?.length) {
      const parser = new SseParser();
      const dec = codec.read.streamDecoder(ctx);
      const events: StreamEvent[] = [];
      for (const c of obs.chunks) for (const m of parser.push(c)) events.push(...dec.push(m));
      for (const m of parser.end()) events.push(...dec.push(m));
      reply = fold(events);
      body = codec.write.encodeResponse(reply, ctx);
    } else {
      return undefined;
    }
    return { body, message: chatMessage(reply), finishReason: FINISH[reply.stop] };
  } catch {
    return undefined;
  }
}
