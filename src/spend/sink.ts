import type { CallRecord, CallSink } from "../gateway/types.ts";
import type { SpendBook } from "./book.ts";
import { entityKeys } from "./increments.ts";
import type { Reservations } from "./reservations.ts";
import { spendEventFor } from "./spend-log.ts";
import type { SpendTracker } from "./tracker.ts";

export interface SpendSinkOptions {
  /** `disable_spend_updates`: no spend written at all. */
  disabled: boolean;
  storePrompts: boolean;
}

/** Every finished call: settles its reservation, and queues its spend. */
export function spendSink(tracker: SpendTracker, book: SpendBook, reservations: Reservations, opts: SpendSinkOptions): CallSink {
  return {
    record(rec: CallRecord) {
      reservations.settle(rec, opts.disabled ? 0 : rec.cost);
      if (opts.disabled) return;
      const ev = spendEventFor(rec, { storePrompts: opts.storePrompts });
      if (ev.row.spend) for (const k of entityKeys(ev)) book.add(k, ev.row.spend);
      tracker.push(ev);
    },
  };
}
