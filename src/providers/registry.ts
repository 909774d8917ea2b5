import type { Provider } from "./types.ts";
import { openai } from "./openai/index.ts";
import { anthropic } from "./anthropic/index.ts";
import { azure } from "./azure/index.ts";
import { openAICompatible } from "./openai-compatible/index.ts";

const providers = new Map<string, Provider>();
for (const p of [openai, anthropic, azure, ...openAICompatible]) providers.set(p.name, p);


export function getProvider(name: string): Provider | undefined {
  return providers.get(name);
}

export function providerNames(): string[] {
  return [...providers.keys()];
}
