import { isConnectionError } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { SpendBook } from "./book.ts";
import { entityKeys } from "./increments.ts";
import { isRowError, repairEvent, WriteTimeout } from "./repair.ts";
import type { SpendEvent } from "./spend-log.ts";
import type { Segment, SpendJournal } from "./journal.ts";
import type { SpillStore } from "./spill.ts";
import type { SpendWriter } from "./writer.ts";

export interface TrackerOptions {
  /** `proxy_batch_write_at`, ms. */
  intervalMs: number;
  /** Events kept in memory before an early write (or, while writes fail, a spill file): the memory bound. */
  maxBuffered: number;
  batchSize?: number;
}

/** Counts of events that needed the repair path (`/metrics`). */
export interface RepairCounters {
  repaired(): void;
  quarantined(): void;
}

/** A journal file of another host is that host's live segment while it changed this recently. */
const STALE_JOURNAL_MS = 10 * 60_000;

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
 * the request path. Each event is also appended to the journal (group-committed within 100 ms), so a
 * `kill -9` loses at most that window; the journal segment of a batch is dropped once its events are
 * in Postgres or a spill file. When a write fails the events go to the spill directory and are
 * replayed first on the next flush; `close()` flushes (or spills) what is left, so a clean shutdown
 * loses nothing. A batch that fails because of one of its rows is split until that row is alone;
 * it is then written repaired (`repairEvent`) or, failing that too, quarantined, so one bad row never
 * holds back the others, neither from memory nor from a spill file.
 */
export class SpendTracker {
  private buffer: SpendEvent[] = [];
  /** Journal segments holding events of `buffer` (besides the journal's current one). */
  private held: Segment[] = [];
  /** Calls whose spend this instance added to its book and has not written yet. */
  private readonly local = new Set<string>();
  private timer?: ReturnType<typeof setInterval>;
  private running?: Promise<void>;
  private lastError?: string;

  constructor(
    private readonly writer: SpendWriter,
    private readonly spill: SpillStore,
    private readonly journal: SpendJournal,
    private readonly book: SpendBook,
    private readonly log: Logger,
    private readonly opts: TrackerOptions,
    private readonly counters?: RepairCounters,
  ) {}

  /**
   * Starts the batch timer. Journals of processes that died become spill files (at start and before
   * every flush); the spend of every spill file found at start counts in this instance's budgets at
   * once and is written at once.
   */
  start(): void {
    this.adoptOrphans();
    const files = this.spill.files();
    for (const f of files) for (const ev of this.spill.read(f)) this.countReplayed(ev);
    this.timer = setInterval(() => void this.flush(), this.opts.intervalMs);
    this.timer.unref?.();
    if (files.length) void this.flush();
  }

  push(ev: SpendEvent): void {
    this.buffer.push(ev);
    this.journal.append(ev);
    this.local.add(callIdOf(ev));
    if (this.buffer.length >= this.opts.maxBuffered) this.overflow();
  }

  /**
   * A full memory queue is written early while Postgres takes writes; it goes to disk (a synchronous
   * spill file) only while writes fail, or when it reaches twice the bound during a write.
   */
  private overflow(): void {
    if (this.lastError || this.buffer.length >= 2 * this.opts.maxBuffered) this.spillBuffer();
    else void this.flush();
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

  /** Journals of processes that died (also another instance sharing the directory) become spill files. */
  private adoptOrphans(): void {
    try {
      const adopted = this.journal.adoptOrphans(Math.max(STALE_JOURNAL_MS, 3 * this.opts.intervalMs));
      if (adopted.length) this.log.info(`${adopted.length} spend journal files of a process that ended without flushing will be written`, { spill_dir: this.spill.dir });
    } catch (e) {
      this.log.warn("spend journal directory not readable", { error: (e as Error).message, spill_dir: this.spill.dir });
    }
  }

  private async run(): Promise<void> {
    this.adoptOrphans();
    try {
      for (const file of this.spill.files()) {
        await this.writeAll(this.spill.read(file));
        this.spill.remove(file);
      }
      await this.writeQueue();
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

  /** Writes the memory queue; on failure the unwritten rest goes back to the queue's head. */
  private async writeQueue(): Promise<void> {
    const size = this.opts.batchSize ?? 1000;
    while (this.buffer.length) {
      const segs = [...this.held, this.journal.cut()];
      const batch = this.buffer;
      this.held = [];
      this.buffer = [];
      let done = 0;
      try {
        for (; done < batch.length; done += size) await this.writeIsolating(batch.slice(done, done + size));
      } catch (e) {
        this.buffer = batch.slice(done).concat(this.buffer);
        this.held = segs.concat(this.held);
        throw e;
      }
      this.journal.drop(segs);
    }
  }

  private async writeAll(events: SpendEvent[]): Promise<void> {
    const size = this.opts.batchSize ?? 1000;
    for (let i = 0; i < events.length; i += size) await this.writeIsolating(events.slice(i, i + size));
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
    if (!this.local.delete(callIdOf(ev))) return;
    for (const k of entityKeys(ev)) this.book.written(k, ev.row.spend);
  }

  /** An event of a spill file found at start: its spend counts in the book until it is written. */
  private countReplayed(ev: SpendEvent): void {
    const id = callIdOf(ev);
    if (typeof ev.row?.spend !== "number" || this.local.has(id)) return;
    this.local.add(id);
    if (ev.row.spend) for (const k of entityKeys(ev)) this.book.add(k, ev.row.spend);
  }

  /** Moves the memory queue to a spill file; its journal segments are then dropped. */
  private spillBuffer(): void {
    if (this.buffer.length === 0) return;
    const segs = [...this.held, this.journal.cut()];
    try {
      const skipped = this.spill.append(this.buffer);
      if (skipped) this.log.error(`${skipped} spend events could not be serialized and were dropped from the spill`, { spill_dir: this.spill.dir });
    } catch (e) {
      this.held = segs;
      this.log.error("could not write the spend spill file; events stay in memory and in the journal", { error: (e as Error).message, spill_dir: this.spill.dir });
      return;
    }
    this.buffer = [];
    this.held = [];
    this.journal.drop(segs);
  }

  /** Flush on shutdown: whatever cannot reach Postgres is left on disk for the next start. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    this.spillBuffer();
    await this.journal.close();
  }
}
