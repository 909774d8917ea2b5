import type { ErrorKind, GatewayError } from "../errors.ts";

/** LiteLLM's `_is_cooldown_required`: only 429/401/408/404 among 4xx, every 5xx; never connection errors. */
export function cooldownRequired(err: GatewayError): boolean {
  // The client's request was at fault (e.g. a 404 for an unknown item it referenced), not the deployment.
  if (err.kind === "APIConnectionError" || err.kind === "BadRequestError") return false;
  const s = err.status;
  if (!s) return false;
  if (s >= 400 && s < 500) return s === 429 || s === 401 || s === 408 || s === 404;
  return true;
}

/** Statuses the OpenAI SDK (and so LiteLLM) considers retryable. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const POLICY_KEY: Partial<Record<ErrorKind, string>> = {
  BadRequestError: "BadRequestError",
  AuthenticationError: "AuthenticationError",
  Timeout: "TimeoutError",
  RateLimitError: "RateLimitError",
  ContentPolicyViolationError: "ContentPolicyViolationError",
  InternalServerError: "InternalServerError",
  ServiceUnavailableError: "InternalServerError",
  APIConnectionError: "InternalServerError",
};

/** `retry_policy` / `allowed_fails_policy` value for this error kind, e.g. `RateLimitErrorRetries`. */
export function policyValue(policy: Record<string, number> | undefined, kind: ErrorKind, suffix: "Retries" | "AllowedFails"): number | undefined {
  if (!policy) return undefined;
  const key = POLICY_KEY[kind];
  if (!key) return undefined;
  return policy[key + suffix];
}

/** Exponential backoff with jitter, as LiteLLM's `_calculate_retry_after`: 0.5 s · 2^n, ≤ 8 s. */
export function backoffSeconds(attempt: number, retryAfterHeader: string | undefined, minRetryAfter: number): number {
  let s: number | undefined;
  if (retryAfterHeader) {
    const v = Number(retryAfterHeader);
    if (Number.isFinite(v) && v >= 0 && v <= 60) s = v;
    else {
      const at = Date.parse(retryAfterHeader);
      if (Number.isFinite(at)) {
        const d = (at - Date.now()) / 1000;
        if (d >= 0 && d <= 60) s = d;
      }
    }
  }
  if (s === undefined) {
    const base = Math.min(0.5 * 2 ** attempt, 8);
    s = base * (1 - 0.25 * Math.random());
  }
  return Math.max(s, minRetryAfter);
}
