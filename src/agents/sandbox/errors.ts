import { GatewayError } from "../../errors.ts";
import type { SandboxProviderName } from "./types.ts";

export type SandboxErrorCode =
  /** The provider refused or failed to create a sandbox (bad key, unknown template, quota, timeout). */
  | "create_failed"
  /** A command ran past its `timeoutMs`; it and its sandbox were killed. */
  | "timeout"
  /** The run was aborted; the command and its sandbox were killed. */
  | "cancelled"
  /** The sandbox ended under a running operation (its lifetime ran out, or it was killed elsewhere). */
  | "sandbox_gone"
  | "file_not_found"
  /** `attach`: the sandbox does not know the command (any more) and its exit code was not recorded. */
  | "command_gone"
  | "failed";

const STATUS: Record<SandboxErrorCode, number> = {
  create_failed: 502,
  timeout: 504,
  cancelled: 499,
  sandbox_gone: 502,
  file_not_found: 404,
  command_gone: 502,
  failed: 502,
};

export class SandboxError extends GatewayError {
  readonly provider: SandboxProviderName;
  readonly code: SandboxErrorCode;
  /** HTTP status the provider answered with, when the failure came from an answer. */
  readonly upstreamStatus?: number;

  constructor(provider: SandboxProviderName, code: SandboxErrorCode, message: string, opts: { cause?: unknown; upstreamStatus?: number } = {}) {
    super(STATUS[code], message, { type: code === "file_not_found" ? "not_found_error" : "sandbox_error" });
    this.name = "SandboxError";
    this.provider = provider;
    this.code = code;
    this.upstreamStatus = opts.upstreamStatus;
    if (opts.cause !== undefined) this.cause = opts.cause;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : String(err);
}
