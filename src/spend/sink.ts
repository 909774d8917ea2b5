import type { CallRecord, CallSink } from "../gateway/types.ts";
import type { RateLimiter } from "../limits/types.ts";
import type { SpendBook } from "./book.ts";
import { entityKeys } from "./increments.ts";
import { spendEventFor } from "./spend-log.ts";
import type { SpendTracker } from "./tracker.ts";

export interface SpendSinkOptions {
  /** `disable_spend_updates`: no spend written at all. */
  disabled: boolean;
  storePrompts: boolean;
  /** `token_rate_limit_type`: which tokens count toward TPM limits (LiteLLM default: output). */
  tpmTokens: "output" | "input" | "total";
}

/** Every finished call: frees its rate-limit slot, counts its tokens, and queues its spend. */
export function spendSink(tracker: SpendTracker, book: SpendBook, limiter: RateLimiter, opts: SpendSinkOptions): CallSink {
  return {
    record(rec: CallRecord) {
      const held = rec.req.auth.rateLimits;
      if (held) {
        limiter.release(held.descriptors);
        const u = rec.usage;
        const tokens = !u ? 0 : opts.tpmTokens === "input" ? u.promptTokens : opts.tpmTokens === "total" ? u.totalTokens : u.completionTokens;
        if (rec.status === "success") limiter.addTokens(held.descriptors, tokens);
      }
      if (opts.disabled) return;
      const ev = spendEventFor(rec, { storePrompts: opts.storePrompts });
      if (ev.row.spend) for (const k of entityKeys(ev)) book.add(k, ev.row.spend);
      tracker.push(ev);
    },
  };
}
