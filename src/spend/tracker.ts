import { isConnectionError } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { SpendBook } from "./book.ts";
import { entityKeys } from "./increments.ts";
import { isRowError, repairEvent, WriteTimeout } from "./repair.ts";
import type { SpendEvent } from "./spend-log.ts";
import type { SpillStore } from "./spill.ts";
import type { SpendWriter } from "./writer.ts";

export interface TrackerOptions {
  /** `proxy_batch_write_at`, ms. */
  intervalMs: number;
  /** Events kept in memory before they go to disk even while Postgres is up (memory bound). */
  maxBuffered: number;
  batchSize?: number;
}

/** Counts of events that needed the repair path (`/metrics`). */
export interface RepairCounters {
  repaired(): void;
  quarantined(): void;
}

/** A write that hangs (a network partition gives no error) counts as failed; replay is idempotent. */
const WRITE_TIMEOUT_MS = 30_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WriteTimeout(ms)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const callIdOf = (ev: SpendEvent) => String(ev.row?.metadata?.litellm_call_id ?? ev.row?.request_id);

/**
 * The spend queue: events wait in memory and are written every `proxy_batch_write_at` seconds, off
 * the request path. When a write fails they go to the spill directory and are replayed first on
 * the next flush; `close()` flushes (or spills) what is left, so a clean shutdown loses nothing.
 * A batch that fails because of one of its rows is split until that row is alone; it is then
 * written repaired (`repairEvent`) or, failing that too, quarantined, so one bad row never holds
 * back the others, neither from memory nor from a spill file.
 */
export class SpendTracker {
  private buffer: SpendEvent[] = [];
  private readonly local = new Map<string, SpendEvent>();
  private timer?: ReturnType<typeof setInterval>;
  private running?: Promise<void>;
  private lastError?: string;

  constructor(
    private readonly writer: SpendWriter,
    private readonly spill: SpillStore,
    private readonly book: SpendBook,
    private readonly log: Logger,
    private readonly opts: TrackerOptions,
    private readonly counters?: RepairCounters,
  ) {}

  /** Starts the batch timer; spill files left by an earlier run are written at once. */
  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.intervalMs);
    this.timer.unref?.();
    if (this.spill.files().length) void this.flush();
  }

  push(ev: SpendEvent): void {
    this.buffer.push(ev);
    this.local.set(callIdOf(ev), ev);
    if (this.buffer.length >= this.opts.maxBuffered) this.spillBuffer();
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** Writes spilled events, then the buffer. Concurrent calls share one run. */
  flush(): Promise<void> {
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async run(): Promise<void> {
    try {
      for (const file of this.spill.files()) {
        await this.writeAll(this.spill.read(file));
        this.spill.remove(file);
      }
      while (this.buffer.length) {
        const batch = this.buffer.splice(0, this.opts.batchSize ?? 1000);
        try {
          await this.writeAll(batch);
        } catch (e) {
          this.buffer.unshift(...batch);
          throw e;
        }
      }
      if (this.lastError) {
        this.log.info("spend writes reached the database again");
        this.lastError = undefined;
      }
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== this.lastError) {
        this.log.warn(isConnectionError(e) ? "database unavailable: spend events kept on disk until it returns" : "spend write failed; events kept on disk", {
          error: msg,
          spill_dir: this.spill.dir,
        });
      }
      this.lastError = msg;
      this.spillBuffer();
    }
  }

  private async writeAll(events: SpendEvent[]): Promise<void> {
    const size = this.opts.batchSize ?? 1000;
    for (let i = 0; i < events.length; i += size) {
      await this.writeIsolating(events.slice(i, i + size));
    }
  }

  private async writeIsolating(events: SpendEvent[]): Promise<void> {
    try {
      await withTimeout(this.writer.write(events), WRITE_TIMEOUT_MS);
      for (const ev of events) this.committed(ev);
      return;
    } catch (e) {
      if (!isRowError(e)) throw e;
      if (events.length === 1) return this.writeRepaired(events[0]!, e as Error);
    }
    const mid = events.length >> 1;
    await this.writeIsolating(events.slice(0, mid));
    await this.writeIsolating(events.slice(mid));
  }

  private async writeRepaired(ev: SpendEvent, cause: Error): Promise<void> {
    const fields = { request_id: String(ev.row?.request_id), error: cause.message };
    try {
      await withTimeout(this.writer.write([repairEvent(ev, cause.message)]), WRITE_TIMEOUT_MS);
      this.counters?.repaired();
      this.log.warn("spend row could not be written as it was; written repaired (free-form fields dropped)", fields);
      this.committed(ev);
    } catch (e) {
      if (!isRowError(e)) throw e;
      const file = this.spill.quarantine(ev, `${cause.message}; repaired: ${(e as Error).message}`);
      this.counters?.quarantined();
      this.log.error("spend row could not be written even repaired; quarantined (its spend stays counted in this instance's budgets)", { ...fields, file });
    }
  }

  /** Pending spend this instance counted in its book is now in Postgres. */
  private committed(ev: SpendEvent): void {
    const id = callIdOf(ev);
    if (!this.local.delete(id)) return;
    for (const k of entityKeys(ev)) this.book.written(k, ev.row.spend);
  }

  private spillBuffer(): void {
    if (this.buffer.length === 0) return;
    try {
      this.spill.append(this.buffer);
      this.buffer = [];
    } catch (e) {
      this.log.error("could not write the spend spill file; events stay in memory", { error: (e as Error).message, spill_dir: this.spill.dir });
    }
  }

  /** Flush on shutdown: whatever cannot reach Postgres is left on disk for the next start. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    this.spillBuffer();
  }
}
