import { authError } from "./authenticator.ts";

/** LiteLLM's named route groups (`LiteLLMRoutes`), as far as this gateway serves them. */
export const ROUTE_GROUPS: Record<string, string[]> = {
  openai_routes: [
    "/chat/completions",
    "/v1/chat/completions",
    "/engines/*",
    "/openai/deployments/*",
    "/completions",
    "/v1/completions",
    "/embeddings",
    "/v1/embeddings",
    "/responses",
    "/v1/responses",
    "/v1/responses/*",
    "/models",
    "/v1/models",
    "/v1/models/*",
    "/images/generations",
    "/v1/images/generations",
    "/images/edits",
    "/v1/images/edits",
    "/audio/transcriptions",
    "/v1/audio/transcriptions",
    "/audio/speech",
    "/v1/audio/speech",
    "/moderations",
    "/v1/moderations",
    "/rerank",
    "/v1/rerank",
    "/v2/rerank",
    "/files",
    "/files/*",
    "/v1/files",
    "/v1/files/*",
    "/batches",
    "/batches/*",
    "/v1/batches",
    "/v1/batches/*",
  ],
  mapped_pass_through_routes: ["/anthropic/*", "/bedrock/*", "/vertex_ai/*", "/vertex-ai/*", "/gemini/*", "/azure/*", "/openai/*", "/cohere/*", "/mistral/*", "/vllm/*"],
  anthropic_routes: ["/v1/messages", "/v1/messages/count_tokens"],
  info_routes: [
    "/key/info",
    "/v2/key/info",
    "/key/list",
    "/team/info",
    "/team/list",
    "/user/info",
    "/model/info",
    "/v1/model/info",
    "/v2/model/info",
    "/model_group/info",
    "/health",
    "/models",
    "/v1/models",
    "/spend/logs",
    "/customer/info",
    "/budget/info",
    "/organization/info",
  ],
  management_routes: [
    "/key/generate",
    "/key/update",
    "/key/delete",
    "/key/info",
    "/key/list",
    "/key/regenerate",
    "/key/*/regenerate",
    "/key/block",
    "/key/unblock",
    "/user/new",
    "/user/update",
    "/user/delete",
    "/user/info",
    "/team/new",
    "/team/update",
    "/team/delete",
    "/team/info",
    "/team/list",
    "/team/member_add",
    "/team/member_delete",
    "/customer/*",
    "/end_user/*",
    "/budget/*",
    "/organization/*",
    "/model/*",
    "/spend/*",
    "/global/spend/*",
  ],
};
ROUTE_GROUPS.llm_api_routes = [...ROUTE_GROUPS.openai_routes!, ...ROUTE_GROUPS.anthropic_routes!, ...ROUTE_GROUPS.mapped_pass_through_routes!];

const matches = (pattern: string, route: string) =>
  pattern === route || (pattern.includes("*") && new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^?]*")}$`).test(route));

export function routeAllowed(allowed: string[], route: string): boolean {
  for (const entry of allowed) {
    const group = ROUTE_GROUPS[entry];
    if (group ? group.some((p) => matches(p, route)) : matches(entry, route)) return true;
  }
  return false;
}

/** A key with `allowed_routes` may call only those (exact paths, wildcards or group names). */
export function checkAllowedRoutes(allowed: string[], route: string): void {
  if (allowed.length === 0 || routeAllowed(allowed, route)) return;
  throw authError(
    `Authentication Error, Virtual key is not allowed to call this route. Only allowed to call routes: [${allowed.map((r) => `'${r}'`).join(", ")}]. Tried to call route: ${route}`,
  );
}
