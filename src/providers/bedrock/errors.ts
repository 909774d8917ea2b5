import { GatewayError, kindForStatus } from "../../errors.ts";

const STATUS: Record<string, number> = {
  throttlingException: 429,
  validationException: 400,
  serviceUnavailableException: 503,
  modelTimeoutException: 408,
  accessDeniedException: 403,
  resourceNotFoundException: 404,
};

/** An `exception` message inside an event stream, as the error Bedrock would have answered with. */
export function streamException(type: string, payload: Uint8Array): GatewayError {
  let message = new TextDecoder().decode(payload);
  try {
    const j = JSON.parse(message) as { message?: string; Message?: string };
    message = j.message ?? j.Message ?? message;
  } catch {
    /* plain text */
  }
  const status = STATUS[type] ?? 500;
  const kind = kindForStatus(status);
  return new GatewayError(status, `litellm.${kind}: BedrockException - ${type}: ${message}`, { kind });
}
