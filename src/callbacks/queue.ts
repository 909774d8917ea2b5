import type { Logger } from "../log.ts";

/** A failed delivery; `retryable` false for answers that will not change (4xx other than 408/429). */
export class SendError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export type DropReason = "queue_full" | "send_failed" | "shutdown" | "not_configured";

/** What the queues count, for `/metrics`. */
export interface QueueStats {
  sent(sink: string, n: number): void;
  dropped(sink: string, reason: DropReason, n: number): void;
  sendError(sink: string): void;
  queued(sink: string, n: number): void;
}

export interface QueueOptions<T> {
  /** The sink's name in logs and metrics. */
  name: string;
  batchSize: number;
  flushMs: number;
  send(batch: T[]): Promise<void>;
  stats: QueueStats;
  log: Logger;
  /** Size of one item in bytes (for the byte bounds); default 1 KB. */
  sizeOf?(item: T): number;
  maxItems?: number;
  maxBytes?: number;
  /** Flush early once this many bytes wait. */
  flushBytes?: number;
  /** Deliveries of one batch before it is dropped. */
  maxAttempts?: number;
  backoffMs?: number;
}

const MAX_BACKOFF_MS = 30_000;
const WARN_EVERY_MS = 60_000;

/**
 * A bounded in-memory queue feeding one sink: items are sent in batches (by count, bytes or
 * interval), one batch at a time; a failed batch is retried with exponential backoff, then
 * dropped. A full queue drops new items. Nothing here ever throws to the caller of `push`.
 */
export class BatchQueue<T> {
  private items: T[] = [];
  private bytes = 0;
  private draining?: Promise<void>;
  private timer?: ReturnType<typeof setTimeout>;
  private closed = false;
  private lastWarn = 0;
  private suppressed = 0;

  constructor(private readonly o: QueueOptions<T>) {}

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    const size = this.o.sizeOf?.(item) ?? 1024;
    if (this.closed || this.items.length >= (this.o.maxItems ?? 10_000) || this.bytes + size > (this.o.maxBytes ?? 64 * 1024 * 1024)) {
      this.o.stats.dropped(this.o.name, this.closed ? "shutdown" : "queue_full", 1);
      this.warn(`${this.o.name}: queue full (${this.items.length} events waiting), event dropped`);
      return;
    }
    this.items.push(item);
    this.bytes += size;
    this.o.stats.queued(this.o.name, this.items.length);
    if (this.items.length >= this.o.batchSize || this.bytes >= (this.o.flushBytes ?? 8 * 1024 * 1024)) this.kick();
    else this.schedule();
  }

  /** A batch waits at most `flushMs` from its first event: what arrives within that window goes together. */
  private schedule(): void {
    if (this.timer || this.draining || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.o.flushMs);
    this.timer.unref?.();
  }

  /** Counts an event that never entered the queue (no destination for it). */
  drop(reason: DropReason): void {
    this.o.stats.dropped(this.o.name, reason, 1);
  }

  /** Sends what waits now; resolves when the queue is empty (or its batches were dropped). */
  flush(): Promise<void> {
    this.kick();
    return this.draining ?? Promise.resolve();
  }

  /** Flushes for at most `deadlineMs`; what is left is dropped. */
  async close(deadlineMs: number): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const done = this.flush().then(() => true);
    const late = await Promise.race([done, Bun.sleep(deadlineMs).then(() => false)]);
    this.closed = true;
    if (!late && this.items.length) {
      this.o.stats.dropped(this.o.name, "shutdown", this.items.length);
      this.o.log.warn(`${this.o.name}: ${this.items.length} events not delivered before shutdown`);
      this.items = [];
    }
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.draining || !this.items.length) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.items.length) this.schedule();
    });
  }

  private async drain(): Promise<void> {
    while (this.items.length) {
      const batch = this.items.splice(0, this.o.batchSize);
      for (const it of batch) this.bytes -= this.o.sizeOf?.(it) ?? 1024;
      this.o.stats.queued(this.o.name, this.items.length);
      await this.deliver(batch);
    }
    this.bytes = 0;
  }

  private async deliver(batch: T[]): Promise<void> {
    const max = this.o.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      // A sender that delivers item by item removes what went through from `batch`, so a retry sends only the rest.
      const before = batch.length;
      try {
        await this.o.send(batch);
        this.o.stats.sent(this.o.name, before);
        return;
      } catch (e) {
        if (batch.length < before) this.o.stats.sent(this.o.name, before - batch.length);
        this.o.stats.sendError(this.o.name);
        const retryable = !(e instanceof SendError) || e.retryable;
        if (!retryable || attempt >= max || this.closed) {
          this.o.stats.dropped(this.o.name, "send_failed", batch.length);
          this.warn(`${this.o.name}: ${batch.length} events dropped after ${attempt} attempt(s): ${(e as Error).message}`);
          return;
        }
        const wait = Math.min(MAX_BACKOFF_MS, (this.o.backoffMs ?? 500) * 2 ** (attempt - 1));
        await Bun.sleep(wait * (0.8 + Math.random() * 0.4));
      }
    }
  }

  /** At most one warning a minute per sink, with the count of the ones held back. */
  private warn(msg: string): void {
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) {
      this.suppressed++;
      return;
    }
    this.o.log.warn(this.suppressed ? `${msg} (${this.suppressed} similar messages suppressed)` : msg);
    this.lastWarn = now;
    this.suppressed = 0;
  }
}
