import type { RingHandle } from "./body-ring.ts";
import type { DynamicContext } from "./dynamic.ts";
import type { LoggingPolicy } from "./logged-call.ts";
import type { SinkPlan } from "./plans.ts";
import type { DropReason } from "./queue.ts";
import type { Shipped } from "./snapshot.ts";

/** Messages from the gateway to its logging worker. */
export type ToWorker =
  | { t: "init"; plans: SinkPlan[]; policy: Omit<LoggingPolicy, "scrubber">; dyn: DynamicContext; log: { json: boolean; debug: boolean }; ring: RingHandle }
  | { t: "secrets"; values: string[] }
  /**
   * A finished call: its raw body is `len` bytes at `at` in the shared ring; `cost` is what the
   * gateway counted for it (the body, the ring's tail it skipped, the streamed answer) and the worker
   * acknowledges once it has copied the body out.
   */
  | ({ t: "call"; streamed: boolean; at: number; len: number; cost: number } & Pick<Shipped, "meta">)
  /** The streamed answer of the call posted just before (sent on its own: see `Shipped`). */
  | Uint8Array
  | { t: "flush"; id: number }
  | { t: "close"; deadlineMs: number };

/** Delivery counts since the last report, and queue lengths now. */
export interface StatsReport {
  sent: Array<[string, number]>;
  dropped: Array<[string, DropReason, number]>;
  errors: Array<[string, number]>;
  queued: Array<[string, number]>;
}

/** Messages from the logging worker back to the gateway. */
export type FromWorker =
  | { t: "stats"; stats: StatsReport }
  /** Calls (and their bytes) taken off the worker's inbox so far: the gateway bounds what is in flight. */
  | { t: "ack"; calls: number; bytes: number }
  | { t: "flushed"; id: number }
  | { t: "closed" };
