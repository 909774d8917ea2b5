import { secrets } from "./redaction.ts";

/**
 * The one error type of the gateway. Endpoints render it in the client's protocol
 * (OpenAI or Anthropic JSON) in one place: `src/http/error-response.ts`. Its message never carries a
 * configured credential (an upstream quoting the key it was sent): those are masked here.
 */
export class GatewayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  /** LiteLLM exception class name, used by the router to decide retries, fallbacks and cooldowns. */
  readonly kind: ErrorKind;

  constructor(
    status: number,
    message: string,
    opts: { type?: string; param?: string | null; headers?: Record<string, string>; kind?: ErrorKind } = {},
  ) {
    super(secrets.redact(message));
    this.name = "GatewayError";
    this.status = status;
    this.kind = opts.kind ?? kindForStatus(status);
    this.type = opts.type ?? defaultTypeFor(this.kind);
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
  }
}

export type ErrorKind =
  | "BadRequestError"
  | "ContextWindowExceededError"
  | "ContentPolicyViolationError"
  | "AuthenticationError"
  | "PermissionDeniedError"
  | "NotFoundError"
  | "Timeout"
  | "UnprocessableEntityError"
  | "RateLimitError"
  | "InternalServerError"
  | "ServiceUnavailableError"
  | "APIConnectionError"
  | "BudgetExceededError";

export function kindForStatus(status: number): ErrorKind {
  switch (status) {
    case 400:
      return "BadRequestError";
    case 401:
      return "AuthenticationError";
    case 403:
      return "PermissionDeniedError";
    case 404:
      return "NotFoundError";
    case 408:
      return "Timeout";
    case 422:
      return "UnprocessableEntityError";
    case 429:
      return "RateLimitError";
    case 503:
    case 529:
      return "ServiceUnavailableError";
    default:
      return status >= 500 ? "InternalServerError" : "BadRequestError";
  }
}

function defaultTypeFor(kind: ErrorKind): string {
  switch (kind) {
    case "AuthenticationError":
      return "auth_error";
    case "RateLimitError":
      return "rate_limit_error";
    case "BudgetExceededError":
      return "budget_exceeded";
    case "Timeout":
      return "timeout";
    case "NotFoundError":
      return "not_found_error";
    case "InternalServerError":
    case "ServiceUnavailableError":
    case "APIConnectionError":
      return "api_error";
    default:
      return "invalid_request_error";
  }
}

export const badRequest = (message: string, param: string | null = null) =>
  new GatewayError(400, message, { type: "invalid_request_error", param });
