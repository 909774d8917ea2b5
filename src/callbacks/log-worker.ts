import type { CallRecord } from "../gateway/types.ts";
import type { Logger } from "../log.ts";
import { secrets } from "../redaction.ts";
import { BodyRing } from "./body-ring.ts";
import type { QueueStats } from "./queue.ts";
import { ship, type Shipped } from "./snapshot.ts";
import type { FromWorker, ToWorker } from "./worker-protocol.ts";

/**
 * Calls posted to the worker and not yet taken off its inbox, at most. The worker runs only when
 * the request thread leaves the core idle; when it cannot keep up, calls are dropped here (counted
 * as `all`/`queue_full`) instead of piling up in its inbox.
 */
const MAX_IN_FLIGHT_CALLS = 2000;
/**
 * Request bodies cross to the worker through one ring of this size (also the bound on the bytes in
 * flight; see BodyRing): copying into memory already mapped costs the request thread a memcpy,
 * where a posted byte array costs a fresh allocation and its page faults (~3x the time for 256 KB).
 */
const RING_BYTES = 64 * 1024 * 1024;

/** In the compiled binary the worker is an extra entrypoint, addressed from the bundle's root. */
const workerUrl = () => (import.meta.url.includes("$bunfs") ? "./callbacks/worker.ts" : new URL("./worker.ts", import.meta.url).href);

/**
 * The gateway's side of the logging worker: each finished call goes over as a snapshot (one
 * postMessage); delivery counts come back for `/metrics`.
 */
export class LogWorker {
  private readonly w: Worker;
  private nextFlush = 0;
  private readonly waiting = new Map<number, () => void>();
  private closed?: () => void;
  private secretsVersion = -1;
  private readonly sent = { calls: 0, bytes: 0 };
  private readonly taken = { calls: 0, bytes: 0 };
  private readonly ring = new BodyRing(RING_BYTES);
  /** Where the next body goes in the ring. */
  private head = 0;
  /** Calls recorded, their ring space reserved, not yet shipped. */
  private waitingShip: Array<{ rec: CallRecord; at: number; cost: number; release: () => void }> = [];

  constructor(
    init: Omit<Extract<ToWorker, { t: "init" }>, "ring">,
    private readonly stats: QueueStats,
    private readonly log: Logger,
  ) {
    this.w = new Worker(workerUrl());
    this.w.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.t === "stats") {
        for (const [sink, n] of m.stats.sent) stats.sent(sink, n);
        for (const [sink, reason, n] of m.stats.dropped) stats.dropped(sink, reason, n);
        for (const [sink, n] of m.stats.errors) for (let i = 0; i < n; i++) stats.sendError(sink);
        for (const [sink, n] of m.stats.queued) stats.queued(sink, n);
      } else if (m.t === "ack") {
        this.taken.calls = m.calls;
        this.taken.bytes = m.bytes;
      } else if (m.t === "flushed") {
        this.waiting.get(m.id)?.();
        this.waiting.delete(m.id);
      } else this.closed?.();
    };
    this.w.onerror = (e) => log.error("logging worker failed", { error: e.message });
    (this.w as Worker & { unref?: () => void }).unref?.();
    this.post({ ...init, ring: this.ring.handle });
  }

  private post(m: ToWorker): void {
    this.w.postMessage(m);
  }

  /**
   * Reserves the call's place in the ring and bounds what is in flight now; the snapshot, the copy
   * into the ring and the post wait for `setImmediate`, after the response has been written (the
   * request body is held until then).
   */
  record(rec: CallRecord): void {
    const len = rec.req.rawBody.size;
    const skip = this.head + len > RING_BYTES ? RING_BYTES - this.head : 0;
    const cost = skip + len + (rec.req.observed?.capturedBytes ?? 0);
    // Bytes of the ring not yet copied out by the worker: sent (with skipped tails) minus taken.
    if (this.sent.calls - this.taken.calls >= MAX_IN_FLIGHT_CALLS || this.sent.bytes - this.taken.bytes + cost > RING_BYTES) {
      this.stats.dropped("all", "queue_full", 1);
      return;
    }
    const at = skip ? 0 : this.head;
    this.head = at + len;
    this.sent.calls++;
    this.sent.bytes += cost;
    this.waitingShip.push({ rec, at, cost, release: rec.req.rawBody.hold() });
    if (this.waitingShip.length === 1) setImmediate(this.shipWaiting);
  }

  private readonly shipWaiting = (): void => {
    if (!this.waitingShip.length) return;
    if (secrets.version !== this.secretsVersion) {
      this.secretsVersion = secrets.version;
      this.post({ t: "secrets", values: secrets.values() });
    }
    const batch = this.waitingShip;
    this.waitingShip = [];
    for (const { rec, at, cost, release } of batch) {
      let shipped: Shipped;
      try {
        shipped = ship(rec);
        this.ring.write(at, shipped.raw);
      } catch (e) {
        release();
        this.sent.calls--;
        this.sent.bytes -= cost;
        this.stats.dropped("all", "send_failed", 1);
        this.log.warn("logging callbacks: a finished call could not be logged", { error: (e as Error).message, request_id: rec.req.callId });
        continue;
      }
      const { meta, raw, chunks } = shipped;
      this.post({ t: "call", meta, at, len: raw.byteLength, cost, streamed: !!chunks });
      release();
      if (chunks) this.post(chunks);
    }
  };

  flush(): Promise<void> {
    this.shipWaiting();
    const id = ++this.nextFlush;
    return new Promise<void>((resolve) => {
      this.waiting.set(id, resolve);
      this.post({ t: "flush", id });
    });
  }

  /** Lets the worker deliver what it holds for at most `deadlineMs`, then ends it. */
  async close(deadlineMs: number): Promise<void> {
    this.shipWaiting();
    const done = new Promise<boolean>((r) => (this.closed = () => r(true)));
    this.post({ t: "close", deadlineMs });
    const clean = await Promise.race([done, Bun.sleep(deadlineMs + 1000).then(() => false)]);
    this.w.terminate();
    // A worker that did not answer may still be reading the ring: its memory then stays mapped.
    if (clean) this.ring.close();
  }
}
