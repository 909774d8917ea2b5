import type { Authenticator } from "./auth/authenticator.ts";
import type { AuthContext } from "./auth/types.ts";
import type { GatewayConfig } from "./config/index.ts";
import type { CallSink, LLMRequest } from "./gateway/types.ts";
import type { BodyLimits } from "./limits/body-budget.ts";
import type { Logger } from "./log.ts";
import type { Resolved } from "./router/model-groups.ts";
import type { Router } from "./router/router.ts";

/** What the HTTP layer needs to serve requests; built once at boot (and swapped on reload). */
export interface Runtime {
  config: GatewayConfig;
  router: Router;
  auth: Authenticator;
  sink: CallSink;
  log: Logger;
  /** How request bodies are read: largest size, time to receive, bytes received at once (`src/http/body-reader.ts`). */
  body: BodyLimits;
  /** Reserves a virtual key's LLM call against its budgets and rate limits before it is forwarded. */
  admission?: { admit(req: LLMRequest, resolved: Resolved): Promise<void> | undefined; released(req: LLMRequest): Promise<void> };
  /** Narrows a model list to what the caller's key may use (virtual keys); absent = all. */
  modelFilter?: (auth: AuthContext, models: string[]) => string[];
}
