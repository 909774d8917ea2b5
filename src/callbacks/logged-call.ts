import type { CallRecord } from "../gateway/types.ts";
import { answerOf, type Answer } from "./answer.ts";
import type { DynamicLogging } from "./dynamic.ts";
import { standardLoggingPayload, type StandardLoggingPayload } from "./payload.ts";
import { withoutContent, withoutKeyInfo, type SecretScrubber } from "./redact.ts";
import type { EventKind } from "./settings.ts";

export interface LoggingPolicy {
  /** `turn_off_message_logging` (global). */
  contentOff: boolean;
  /** `redact_user_api_key_info`. */
  redactKeyInfo: boolean;
  userAgentTags: boolean;
  scrubber: SecretScrubber;
}

/**
 * One finished call on its way to the sinks. What several sinks need (the StandardLoggingPayload,
 * its JSON, the rebuilt answer) is computed once, on first use, off the request path.
 */
export class LoggedCall {
  readonly kind: EventKind;
  /** This call's prompt and answer are not logged (globally, or by the key's or team's logging settings). */
  readonly contentOff: boolean;
  private _payload?: StandardLoggingPayload;
  private _json?: string;
  private _answer?: Answer | null;

  constructor(
    readonly rec: CallRecord,
    readonly dyn: DynamicLogging | undefined,
    private readonly policy: LoggingPolicy,
  ) {
    this.kind = rec.status;
    this.contentOff = policy.contentOff || /^(true|1)$/i.test(dyn?.vars.turn_off_message_logging ?? "");
  }

  /** The answer the client got (undefined when not kept or content is off). */
  answer(): Answer | undefined {
    if (this._answer === undefined) this._answer = (!this.contentOff && answerOf(this.rec.req)) || null;
    return this._answer ?? undefined;
  }

  payload(): StandardLoggingPayload {
    if (!this._payload) {
      let p = standardLoggingPayload(this.rec, { userAgentTags: this.policy.userAgentTags, withContent: !this.contentOff }, this.answer());
      if (this.contentOff) p = withoutContent(p);
      if (this.policy.redactKeyInfo) p = withoutKeyInfo(p);
      this._payload = p;
    }
    return this._payload;
  }

  /** The payload as JSON, with every credential the gateway holds masked. */
  payloadJson(): string {
    this._json ??= this.scrub(JSON.stringify(this.payload()));
    return this._json;
  }

  scrub(text: string): string {
    return this.policy.scrubber.scrub(text);
  }

  /** Rough size in bytes, for queue bounds. */
  get size(): number {
    return this.rec.req.rawBody.size + (this.rec.req.observed?.capturedBytes ?? 0) + (this.rec.req.observed?.responseText?.length ?? 0) + 2048;
  }
}
