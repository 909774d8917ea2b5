import type { Provider } from "./types.ts";
import { openai } from "./openai/index.ts";
import { anthropic } from "./anthropic/index.ts";
import { azure } from "./azure/index.ts";
import { azureAI } from "./azure_ai/index.ts";
import { bedrock } from "./bedrock/index.ts";
import { cohere, cohereChat } from "./cohere/index.ts";
import { gemini } from "./gemini/index.ts";
import { openAICompatible } from "./openai-compatible/index.ts";
import { vertexAI } from "./vertex_ai/index.ts";

const providers = new Map<string, Provider>();
for (const p of [openai, anthropic, azure, azureAI, gemini, vertexAI, bedrock, cohere, cohereChat, ...openAICompatible]) providers.set(p.name, p);

export function getProvider(name: string): Provider | undefined {
  return providers.get(name);
}

export function providerNames(): string[] {
  return [...providers.keys()];
}
