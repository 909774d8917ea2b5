import { close, fdatasync, open, readdirSync, renameSync, statSync, unlink, write } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "../log.ts";
import type { SpendEvent } from "./spend-log.ts";
import { jsonLines, spillName } from "./spill.ts";

const PREFIX = "journal-";
const SUFFIX = ".journal";
/** Group commit: at most one write + fdatasync per this many ms; a `kill -9` loses at most about this much. */
export const JOURNAL_COMMIT_MS = 100;

/** A stretch of the journal: the events appended between two cuts, in one file. */
export interface Segment {
  readonly name: string;
  pending: SpendEvent[];
  fd?: number;
  /** Cut: no more appends. */
  ended: boolean;
  /** Its events are in Postgres or a spill file; the file goes. */
  dropped: boolean;
  /** Its file exists. */
  created: boolean;
}

const instance = () => `${encodeURIComponent(hostname())}-${process.pid}-${Date.now().toString(36)}`;

/**
 * The write-ahead journal of finished calls (issue 14.7): every spend event is appended off the
 * request path and committed in groups, one `write` + `fdatasync` per `JOURNAL_COMMIT_MS`, to a
 * segment file named after this process (`journal-<host>-<pid>-<start>-<n>.journal`). The tracker cuts
 * a segment whenever it takes its queue for a write and drops it once those events are in Postgres
 * or a spill file, so the journal only ever holds the last batch window. A segment whose process is
 * gone (a `kill -9`, a power cut) is renamed into a spill file and replayed, by the next start or by
 * another instance sharing the directory before its next flush.
 */
export class SpendJournal {
  private readonly id = instance();
  private seq = 0;
  private current: Segment;
  private readonly segments: Segment[] = [];
  private timer?: ReturnType<typeof setTimeout>;
  private committing?: Promise<void>;
  private lastCommit = 0;
  private lastError?: string;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly commitMs = JOURNAL_COMMIT_MS,
    /** False (`LITELLM_RUST_SPEND_JOURNAL=off`): nothing is appended, a `kill -9` loses the queue; orphans are still adopted. */
    private readonly enabled = true,
  ) {
    this.current = this.newSegment();
  }

  append(ev: SpendEvent): void {
    if (!this.enabled) return;
    this.current.pending.push(ev);
    this.schedule();
  }

  /** Ends the segment holding every event appended so far; later appends go to a new one. */
  cut(): Segment {
    const s = this.current;
    s.ended = true;
    this.current = this.newSegment();
    return s;
  }

  /** The events of these segments are in Postgres or in a spill file: their files go. */
  drop(segs: Segment[]): void {
    for (const s of segs) {
      s.dropped = true;
      s.pending = [];
    }
    if (segs.length) this.schedule(true);
  }

  /**
   * Journal files of processes that are gone, renamed into spill files (`spend-*.jsonl`) so the
   * spill replay writes them. A segment is another live process's while its owner runs on this host,
   * or, for another host sharing the directory, while it changed within `staleMs`.
   */
  adoptOrphans(staleMs: number): string[] {
    const adopted: string[] = [];
    const host = encodeURIComponent(hostname());
    for (const f of readdirSync(this.dir)) {
      if (!f.startsWith(PREFIX) || !f.endsWith(SUFFIX) || f.startsWith(`${PREFIX}${this.id}-`)) continue;
      const parts = f.slice(PREFIX.length, -SUFFIX.length).split("-");
      const pid = Number(parts.at(-3));
      const sameHost = parts.slice(0, -3).join("-") === host;
      try {
        const orphan = sameHost ? pid === process.pid || !alive(pid) : Date.now() - statSync(join(this.dir, f)).mtimeMs > staleMs;
        if (!orphan) continue;
        const name = spillName(`journal-${parts.slice(-3).join("-")}`);
        renameSync(join(this.dir, f), join(this.dir, name));
        adopted.push(name);
      } catch {
        /* taken by another starting instance */
      }
    }
    return adopted;
  }

  /** Writes what is pending, removes dropped segments, closes the files; undropped segments stay for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.committing;
    await this.commit();
    for (const s of this.segments) if (s.fd !== undefined) await io.close(s.fd).catch(() => {});
  }

  private newSegment(): Segment {
    const s: Segment = { name: `${PREFIX}${this.id}-${this.seq++}${SUFFIX}`, pending: [], ended: false, dropped: false, created: false };
    this.segments.push(s);
    return s;
  }

  private schedule(now = false): void {
    if (this.timer || this.committing || this.closed) return;
    const wait = now ? 0 : Math.max(0, this.lastCommit + this.commitMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.committing = this.commit().finally(() => {
        this.committing = undefined;
        if (this.segments.some((s) => s.pending.length || s.dropped)) this.schedule();
      });
    }, wait);
    this.timer.unref?.();
  }

  private async commit(): Promise<void> {
    this.lastCommit = Date.now();
    for (const s of [...this.segments]) {
      try {
        if (s.dropped) await this.remove(s);
        else if (s.pending.length) await this.write(s);
        else if (s.ended && s.fd !== undefined) {
          await io.close(s.fd);
          s.fd = undefined;
        }
      } catch (e) {
        const msg = (e as Error).message;
        if (msg !== this.lastError) this.log.error("spend journal not written; the events are still queued in memory", { error: msg, dir: this.dir });
        this.lastError = msg;
        return;
      }
    }
    this.lastError = undefined;
  }

  private async write(s: Segment): Promise<void> {
    const batch = s.pending;
    s.pending = [];
    const { text, skipped } = jsonLines(batch);
    if (skipped) this.log.error(`${skipped} spend events could not be serialized for the journal; they are still queued`);
    try {
      if (s.fd === undefined) {
        s.fd = await io.open(join(this.dir, s.name));
        s.created = true;
      }
      await io.write(s.fd, Buffer.from(text));
      await io.fdatasync(s.fd);
    } catch (e) {
      if (!s.dropped) s.pending = batch.concat(s.pending);
      throw e;
    }
  }

  private async remove(s: Segment): Promise<void> {
    if (s.fd !== undefined) await io.close(s.fd);
    s.fd = undefined;
    if (s.created) {
      await io.unlink(join(this.dir, s.name)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e;
      });
    }
    this.segments.splice(this.segments.indexOf(s), 1);
  }
}

const done = (resolve: () => void, reject: (e: Error) => void) => (e: Error | null) => (e ? reject(e) : resolve());

/**
 * File I/O on the thread pool. Bun runs `fs/promises` `FileHandle.datasync()` on the calling thread
 * (measured: 66 ms of blocked event loop for one fsync); the callback forms do not block.
 */
const io = {
  open: (path: string) => new Promise<number>((resolve, reject) => open(path, "a", (e, fd) => (e ? reject(e) : resolve(fd)))),
  write: async (fd: number, buf: Buffer): Promise<void> => {
    for (let off = 0; off < buf.length; ) {
      off += await new Promise<number>((resolve, reject) => write(fd, buf, off, buf.length - off, null, (e, n) => (e ? reject(e) : resolve(n))));
    }
  },
  fdatasync: (fd: number) => new Promise<void>((resolve, reject) => fdatasync(fd, done(resolve, reject))),
  close: (fd: number) => new Promise<void>((resolve, reject) => close(fd, done(resolve, reject))),
  unlink: (path: string) => new Promise<void>((resolve, reject) => unlink(path, done(resolve, reject))),
};

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
