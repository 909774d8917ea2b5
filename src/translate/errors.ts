/** Anthropic error types ⇄ HTTP statuses, for error events that arrive inside a stream. */
const BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  api_error: 500,
  server_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export function statusForErrorType(type: string | undefined, code?: unknown): number {
  const n = typeof code === "number" ? code : typeof code === "string" && /^\d{3}$/.test(code) ? Number(code) : undefined;
  if (n !== undefined && n >= 400 && n <= 599) return n;
  return (type && BY_TYPE[type]) || 500;
}

export function anthropicErrorType(status: number): string {
  if (status === 529) return "overloaded_error";
  if (status === 429) return "rate_limit_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 504 || status === 408) return "timeout_error";
  return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
}
