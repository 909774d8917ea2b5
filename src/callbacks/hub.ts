import type { CallRecord, CallSink } from "../gateway/types.ts";
import type { Logger } from "../log.ts";
import { disabledCallbacks, dynamicLogging, type DynamicContext } from "./dynamic.ts";
import { LoggedCall, type LoggingPolicy } from "./logged-call.ts";
import { SendError, type BatchQueue, type QueueStats } from "./queue.ts";
import type { EventFilter } from "./settings.ts";

/** One logging backend: turns a finished call into what it sends, and queues it. */
export interface Sink {
  /** The callback name that selects it (`langfuse`, `otel`, a `callback_settings` name, ...). */
  readonly name: string;
  /** Which calls it gets from the global settings; a key's or team's logging may add more. */
  readonly filter: EventFilter;
  /** The prompt and answer are part of what it sends. */
  readonly logsContent: boolean;
  accept(call: LoggedCall): void;
  flush(): Promise<void>;
  close(deadlineMs: number): Promise<void>;
}

const MAX_PENDING = 10_000;

/**
 * The CallSink the logging callbacks hang off. `record` only queues the record; building payloads
 * and handing them to the sinks happens in a later task, so no request waits for any of it.
 */
export class CallbackHub implements CallSink {
  private pending: CallRecord[] = [];
  private scheduled = false;

  constructor(
    readonly sinks: Sink[],
    private readonly policy: LoggingPolicy,
    private readonly dyn: DynamicContext,
    private readonly stats: QueueStats,
    private readonly log: Logger,
  ) {}

  record(rec: CallRecord): void {
    if (rec.req.callType === "acount_tokens") return;
    if (this.pending.length >= MAX_PENDING) {
      this.stats.dropped("all", "queue_full", 1);
      return;
    }
    this.pending.push(rec);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (const rec of batch) {
      try {
        this.dispatch(rec);
      } catch (e) {
        this.log.warn("logging callbacks: a finished call could not be logged", { error: (e as Error).message, request_id: rec.req.callId });
      }
    }
  }

  private dispatch(rec: CallRecord): void {
    const dyn = dynamicLogging(rec.req, this.dyn);
    const off = disabledCallbacks(rec.req, dyn);
    const call = new LoggedCall(rec, dyn, this.policy);
    for (const sink of this.sinks) {
      if (off.has(sink.name)) continue;
      if (!sink.filter[call.kind] && !dyn?.callbacks.get(sink.name)?.[call.kind]) continue;
      try {
        sink.accept(call);
      } catch (e) {
        this.stats.dropped(sink.name, "send_failed", 1);
        this.log.warn(`${sink.name}: event not queued`, { error: (e as Error).message, request_id: rec.req.callId });
      }
    }
  }

  /** Sends everything queued now (tests, shutdown). */
  async flush(): Promise<void> {
    this.drain();
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  async close(deadlineMs: number): Promise<void> {
    this.drain();
    await Promise.all(this.sinks.map((s) => s.close(deadlineMs)));
  }
}

/** A call waiting in a sink's queue; what the sink sends for it is built once, when its batch goes out. */
export interface Pending<T> {
  call: LoggedCall;
  out?: T;
}

/**
 * A sink that sends through one BatchQueue of calls. Payloads are built when a batch is sent (and
 * kept across retries), so a call dropped from a full queue costs nothing to serialize.
 */
export abstract class QueuedSink<T> implements Sink {
  abstract readonly name: string;
  abstract readonly filter: EventFilter;
  readonly logsContent: boolean = true;
  protected abstract readonly queue: BatchQueue<Pending<T>>;

  /** What this sink sends for one call. */
  protected abstract build(call: LoggedCall): T;

  protected out(p: Pending<T>): T {
    p.out ??= this.build(p.call);
    return p.out;
  }

  accept(call: LoggedCall): void {
    this.queue.push({ call });
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  close(deadlineMs: number): Promise<void> {
    return this.queue.close(deadlineMs);
  }
}

/** Queue settings every sink shares: byte bounds from the calls' sizes. */
export const pendingSize = (p: Pending<unknown>) => p.call.size;

/**
 * Per-item deliveries (S3, GCS, one request per log), `concurrency` at a time. When a whole round
 * fails the backend is taken to be down and the rest wait for the retry instead of each trying on
 * its own. Afterwards only the failed items stay in `batch` (a retry does not resend the delivered
 * ones) and the first failure is thrown.
 */
export async function deliverEach<T>(batch: T[], concurrency: number, send: (item: T) => Promise<unknown>): Promise<void> {
  const results: PromiseSettledResult<unknown>[] = [];
  for (let i = 0; i < batch.length; i += concurrency) {
    const round = await Promise.allSettled(batch.slice(i, i + concurrency).map(send));
    results.push(...round);
    if (round.every((r) => r.status === "rejected")) {
      const reason = (round[0] as PromiseRejectedResult).reason as unknown;
      while (results.length < batch.length) results.push({ status: "rejected", reason });
      break;
    }
  }
  const failed = batch.filter((_, i) => results[i]!.status === "rejected");
  if (!failed.length) return;
  const first = (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason as unknown;
  batch.splice(0, batch.length, ...failed);
  throw first instanceof SendError ? first : new SendError(`${failed.length} deliveries failed: ${(first as Error)?.message ?? String(first)}`, true);
}
