/**
 * The neutral shape every protocol is decoded into and encoded from. A translator is a client
 * codec (decodes the client's request, encodes the answer back) paired with an upstream codec
 * (encodes the request for the provider, decodes its answer), so each protocol is written once.
 */

export type ImageSource = { kind: "base64"; mediaType: string; data: string } | { kind: "url"; url: string };

/** Anthropic `cache_control` a client (or a deployment's `cache_control_injection_points`) put on a block. */
export type CacheControl = Record<string, unknown>;

export type TextPart = { type: "text"; text: string; cache?: CacheControl };
export type ImagePart = { type: "image"; source: ImageSource; cache?: CacheControl };
/** A base64 document (PDF) the user attached. */
export type FilePart = { type: "file"; mediaType: string; data: string; filename?: string; cache?: CacheControl };
/** An OpenAI model declining to answer (chat `message.refusal`, Responses `refusal` content). */
export type RefusalPart = { type: "refusal"; text: string };
export type ThinkingPart = { type: "thinking"; text: string; signature?: string };
export type RedactedThinkingPart = { type: "redacted_thinking"; data: string };
/** `arguments` is JSON text, as OpenAI streams it; Anthropic's object input is serialized. */
export type ToolCallPart = { type: "tool_call"; id: string; name: string; arguments: string; cache?: CacheControl };
export type ToolResultPart = { type: "tool_result"; id: string; content: Array<TextPart | ImagePart>; isError?: boolean; cache?: CacheControl };

export type Part = TextPart | ImagePart | FilePart | RefusalPart | ThinkingPart | RedactedThinkingPart | ToolCallPart | ToolResultPart;

/** Parts Anthropic lets carry `cache_control` (not thinking, nor an OpenAI refusal). */
export type CacheablePart = Exclude<Part, ThinkingPart | RedactedThinkingPart | RefusalPart>;
export const cacheable = (p: Part): p is CacheablePart => p.type !== "thinking" && p.type !== "redacted_thinking" && p.type !== "refusal";

export interface Turn {
  role: "user" | "assistant";
  parts: Part[];
}

export interface ToolDef {
  name: string;
  description?: string;
  /** JSON schema of the arguments object. */
  parameters: Record<string, unknown>;
  /** Arguments must follow the schema exactly (OpenAI `strict`, Anthropic strict tool use). */
  strict?: boolean;
  cache?: CacheControl;
}

export type ToolChoice = { type: "auto" } | { type: "none" } | { type: "required" } | { type: "tool"; name: string };

/** Structured output: any JSON object, or JSON following a schema. */
export interface ResponseFormat {
  type: "json_object" | "json_schema";
  name?: string;
  schema?: Record<string, unknown>;
  strict?: boolean;
}

/** One request, protocol-neutral. System text is hoisted: every target takes it up front. */
export interface Conversation {
  system: TextPart[];
  turns: Turn[];
  tools: ToolDef[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  user?: string;
  stream: boolean;
  /** OpenAI-style effort (chat `reasoning_effort`, Responses `reasoning.effort`). */
  reasoningEffort?: string;
  /** Anthropic-style explicit thinking budget. */
  thinkingBudget?: number;
  responseFormat?: ResponseFormat;
}

export type StopReason = "end" | "max_tokens" | "tool_use" | "stop_sequence" | "content_filter";

/** Some servers say "stop" after tool calls; clients decide whether to run tools from the stop reason. */
export const withTools = (stop: StopReason, parts: ReadonlyArray<{ type: string }>): StopReason =>
  stop === "end" && parts.some((p) => p.type === "tool_call") ? "tool_use" : stop;

/** Token counts; `input` includes cached and cache-written tokens (OpenAI's convention). */
export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export const zeroUsage = (): TokenUsage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 });

/** A complete, non-streamed answer. */
export type ReplyPart = TextPart | RefusalPart | ThinkingPart | RedactedThinkingPart | ToolCallPart;

export interface Reply {
  id: string;
  parts: ReplyPart[];
  stop: StopReason;
  stopSequence?: string;
  usage: TokenUsage;
}

/** What a stream decoder reports; stream encoders turn these into the client's events. */
export type StreamEvent =
  | { type: "start"; id: string }
  | { type: "text"; text: string }
  | { type: "refusal"; text: string }
  | { type: "thinking"; text: string }
  | { type: "signature"; signature: string }
  | { type: "redacted_thinking"; data: string }
  | { type: "tool_start"; key: number; id: string; name: string }
  | { type: "tool_args"; key: number; delta: string }
  | { type: "stop"; reason: StopReason; sequence?: string }
  | { type: "usage"; usage: Partial<TokenUsage> }
  | { type: "error"; message: string; errorType: string; status: number }
  | { type: "end" };

/**
 * Names of the client's tools as the upstream saw them. Responses namespaces and freeform tools
 * are flattened into plain functions on the way up; the answer must name them as the client did.
 */
export interface ClientTool {
  name: string;
  namespace?: string;
  custom?: boolean;
}
