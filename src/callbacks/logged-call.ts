import type { CallRecord } from "../gateway/types.ts";
import { answerOf, type Answer } from "./answer.ts";
import type { DynamicLogging } from "./dynamic.ts";
import { JsonText, LargeStrings } from "./json-text.ts";
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

const MESSAGES_MARK = `\u0000messages-${crypto.randomUUID()}`;
const MARK_JSON = JSON.stringify(MESSAGES_MARK);

/**
 * One finished call on its way to the sinks. What several sinks need (the StandardLoggingPayload,
 * its JSON, the rebuilt answer, the JSON of the prompt's long strings) is computed once, on first
 * use, off the request path.
 */
export class LoggedCall {
  readonly kind: EventKind;
  /** This call's prompt and answer are not logged (globally, or by the key's or team's logging settings). */
  readonly contentOff: boolean;
  private _payload?: StandardLoggingPayload;
  private _json?: JsonText;
  private _answer?: Answer | null;
  private _messagesJson?: JsonText;
  private readonly large = new LargeStrings();

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
  payloadText(): JsonText {
    if (this._json === undefined) {
      const p = this.payload();
      this._json = this.scrubText(this.stringify(p.messages === undefined ? p : { ...p, messages: this.messages() }));
    }
    return this._json;
  }

  /**
   * What stands for the request's messages in a value given to `stringify`: their JSON is made
   * once per call and spliced into every payload that carries them whole (the standard payload,
   * Langfuse's trace and generation) instead of each serializing a whole prompt again.
   */
  messages(): unknown {
    const m = this.payload().messages;
    return m === undefined ? undefined : MESSAGES_MARK;
  }

  /** `JSON.stringify(value)`, with the messages' JSON where `messages()` stood. */
  stringify(value: unknown): JsonText {
    const text = JSON.stringify(value);
    if (!text.includes(MARK_JSON)) return JsonText.of(text);
    return JsonText.splice(text, MARK_JSON, this.messagesText());
  }

  /** The JSON of the request's messages, made once per call. */
  messagesText(): JsonText {
    return (this._messagesJson ??= this.json(this.payload().messages));
  }

  /** `JSON.stringify(value)`, its long strings serialized once per call (shared with the messages' JSON). */
  json(value: unknown): JsonText {
    return this.large.stringify(value);
  }

  scrub(text: string): string {
    return this.policy.scrubber.scrub(text);
  }

  scrubText(text: JsonText): JsonText {
    return this.policy.scrubber.scrubText(text);
  }

  /** Rough size in bytes, for queue bounds. */
  get size(): number {
    return this.rec.req.rawBody.size + (this.rec.req.observed?.capturedBytes ?? 0) + (this.rec.req.observed?.responseText?.length ?? 0) + 2048;
  }
}
