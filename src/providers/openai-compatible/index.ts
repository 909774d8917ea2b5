import type { Provider } from "../types.ts";
import { openAIStyle } from "../openai/index.ts";
import { withFim } from "./fim.ts";
import { baseEnvFor, COMPATIBLE, exceptionFor } from "./table.ts";

/**
 * The OpenAI-compatible family LiteLLM routes by prefix, built from one declarative table
 * (`table.ts`): each speaks OpenAI chat (and the other OpenAI APIs its row lists) at its own base
 * URL; `api_base` overrides it.
 */
export const openAICompatible: Provider[] = COMPATIBLE.map((row) => {
  const p = openAIStyle({
    name: row.name,
    defaultApiBase: row.base,
    apiKeyEnv: row.keyEnv,
    apiBaseEnv: baseEnvFor(row),
    exceptionName: row.exception ?? exceptionFor(row.name),
    protocols: row.serves,
    keyHeader: row.keyHeader,
  });
  return row.fim ? withFim(p) : p;
});
