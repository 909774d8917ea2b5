import type { Protocol } from "../providers/types.ts";
import { anthropicClient, anthropicUpstream } from "./anthropic/index.ts";
import { chatClient, chatUpstream } from "./chat/index.ts";
import { completionsClient } from "./completions/index.ts";
import { pair } from "./pipeline.ts";
import { responsesClient, responsesUpstream } from "./responses/index.ts";
import type { Translator } from "./types.ts";

export type { TranslateContext, Translator } from "./types.ts";

/** Client protocol > upstream protocol. Same-protocol calls never get here: they pass through. */
const TABLE: ReadonlyMap<string, Translator> = new Map([
  ["anthropic-messages>openai-chat", pair(anthropicClient, chatUpstream)],
  ["anthropic-messages>openai-responses", pair(anthropicClient, responsesUpstream)],
  ["openai-chat>anthropic-messages", pair(chatClient, anthropicUpstream)],
  ["openai-chat>openai-responses", pair(chatClient, responsesUpstream)],
  ["openai-responses>openai-chat", pair(responsesClient, chatUpstream)],
  ["openai-responses>anthropic-messages", pair(responsesClient, anthropicUpstream)],
  ["openai-completions>openai-chat", pair(completionsClient, chatUpstream)],
  ["openai-completions>anthropic-messages", pair(completionsClient, anthropicUpstream)],
  ["openai-completions>openai-responses", pair(completionsClient, responsesUpstream)],
]);

/** Translator from the client's protocol to the upstream's, or undefined when none exists. */
export function translator(from: Protocol, to: Protocol): Translator | undefined {
  return TABLE.get(`${from}>${to}`);
}
