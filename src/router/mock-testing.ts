import { GatewayError } from "../errors.ts";
import type { Deployment } from "./deployment.ts";

/**
 * Request fields that make the router fabricate a failure or a delay (LiteLLM's
 * `GATED_MOCK_PARAM_NAMES`). A client may send them only where the config opts in.
 */
export const GATED_MOCK_PARAMS = [
  "mock_testing_fallbacks",
  "mock_testing_context_fallbacks",
  "mock_testing_content_policy_fallbacks",
  "mock_testing_rate_limit_error",
  "mock_timeout",
  "mock_delay",
] as const;

export const MOCK_TESTING_SETTING = "dangerously_allow_mock_testing_request_params";

/**
 * LiteLLM's `raise_if_mock_testing_params_disallowed`: a call naming one of them (whatever its value)
 * is refused unless `general_settings.dangerously_allow_mock_testing_request_params` is true, so a
 * request that asked for a synthetic failure never reads as a passing test that did not run.
 */
export function refuseMockParams(allowed: boolean, has: (field: string) => boolean): void {
  if (allowed) return;
  const present = GATED_MOCK_PARAMS.filter(has);
  if (!present.length) return;
  throw new GatewayError(
    400,
    `Mock testing request params are disabled on this proxy: ${present.join(", ")}. An admin can enable them by setting \`general_settings.${MOCK_TESTING_SETTING}: true\` in config.yaml. This setting cannot be changed from the Admin UI or the API.`,
    { type: "invalid_request_error", kind: "BadRequestError" },
  );
}

/**
 * How long a `mock_timeout` attempt on `d` holds, or undefined when it is not simulated: the timeout
 * the call runs with (a stream's `stream_timeout` first, as the router's `_get_timeout`). The request's
 * field overrides the deployment's `litellm_params.mock_timeout` (LiteLLM merges the call's kwargs over
 * the deployment's params); only `true` counts, as in `_handle_mock_timeout_async`.
 */
export function mockTimeoutHold(
  requested: unknown,
  d: Deployment,
  stream: boolean,
  t: { timeoutMs?: number; streamTimeoutMs?: number },
): number | undefined {
  const on = requested !== undefined ? requested === true : d.params.mock_timeout === true;
  return on ? ((stream ? t.streamTimeoutMs : undefined) ?? t.timeoutMs) : undefined;
}

/** LiteLLM's mock timeout: the call is held for its timeout, then fails as `litellm.Timeout` (408) would. */
export function simulateTimeout(ms: number, signal?: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const gone = () => {
      clearTimeout(timer);
      reject(new GatewayError(499, "Client disconnected", { kind: "APIConnectionError" }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", gone);
      reject(new GatewayError(408, "litellm.Timeout: This is a mock timeout error", { kind: "Timeout", type: "timeout" }));
    }, ms);
    if (signal?.aborted) return gone();
    signal?.addEventListener("abort", gone, { once: true });
  });
}
