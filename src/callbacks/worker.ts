/**
 * The logging worker: a thread of its own where finished calls become payloads (JSON, protobuf,
 * gzip) and are delivered, so none of that work competes with requests on the gateway's thread.
 */
import type { RequestBody } from "../gateway/request-body.ts";
import { Logger } from "../log.ts";
import { lowerThreadPriority } from "./background.ts";
import { ringReader } from "./body-ring.ts";
import { DatadogSink } from "./datadog.ts";
import { GcsSink } from "./gcs.ts";
import { GenericApiSink } from "./generic-api.ts";
import { CallbackHub, type Sink } from "./hub.ts";
import { LangfuseSink } from "./langfuse.ts";
import { OtelSink } from "./otel/sink.ts";
import type { SinkPlan } from "./plans.ts";
import type { DropReason, QueueStats } from "./queue.ts";
import { SecretScrubber } from "./redact.ts";
import { S3Sink } from "./s3.ts";
import { bodyOf, restoreRecord } from "./snapshot.ts";
import type { FromWorker, StatsReport, ToWorker } from "./worker-protocol.ts";

declare const self: Worker;

const REPORT_EVERY_MS = 500;
const ACK_MS = 20;

/** Counts kept here and reported to the gateway's `/metrics` now and then. */
class StatsBuffer implements QueueStats {
  private sentN = new Map<string, number>();
  private droppedN = new Map<string, number>();
  private errorsN = new Map<string, number>();
  private queuedN = new Map<string, number>();
  private dirty = false;

  private bump(m: Map<string, number>, k: string, n: number): void {
    m.set(k, (m.get(k) ?? 0) + n);
    this.dirty = true;
  }
  sent(sink: string, n: number): void {
    this.bump(this.sentN, sink, n);
  }
  dropped(sink: string, reason: DropReason, n: number): void {
    this.bump(this.droppedN, `${sink}\u0000${reason}`, n);
  }
  sendError(sink: string): void {
    this.bump(this.errorsN, sink, 1);
  }
  queued(sink: string, n: number): void {
    this.queuedN.set(sink, n);
    this.dirty = true;
  }

  take(): StatsReport | undefined {
    if (!this.dirty) return undefined;
    const report: StatsReport = {
      sent: [...this.sentN],
      dropped: [...this.droppedN].map(([k, n]) => {
        const [sink, reason] = k.split("\u0000");
        return [sink!, reason as DropReason, n];
      }),
      errors: [...this.errorsN],
      queued: [...this.queuedN],
    };
    this.sentN.clear();
    this.droppedN.clear();
    this.errorsN.clear();
    this.dirty = false;
    return report;
  }
}

function makeSink(p: SinkPlan, env: Readonly<Record<string, string | undefined>>, stats: QueueStats, log: Logger): Sink {
  switch (p.kind) {
    case "otel":
      return new OtelSink(p.filter, p.options, stats, log);
    case "langfuse":
      return new LangfuseSink(p.filter, env, p.defaultTags, stats, log);
    case "s3":
      return new S3Sink(p.filter, p.params, env, stats, log);
    case "gcs_bucket":
      return new GcsSink(p.filter, env, stats, log);
    case "datadog":
      return new DatadogSink(p.filter, p.options, stats, log);
    case "generic_api":
      return new GenericApiSink(p.options, env, stats, log);
  }
}

lowerThreadPriority();
const post = (m: FromWorker) => self.postMessage(m);
const stats = new StatsBuffer();
const scrubber = new SecretScrubber();
let hub: CallbackHub | undefined;
const report = () => {
  const r = stats.take();
  if (r) post({ t: "stats", stats: r });
};
setInterval(report, REPORT_EVERY_MS);

/** A call whose streamed answer is the next message. */
let awaitingAnswer: { meta: string; body: RequestBody; cost: number } | undefined;
/** The ring request bodies arrive in (see LogWorker). */
let ring: (at: number, len: number) => Uint8Array = () => new Uint8Array(0);
const taken = { calls: 0, bytes: 0 };
let ackTimer: ReturnType<typeof setTimeout> | undefined;

/** Counts a call taken off the inbox; the gateway hears of it within ACK_MS. */
function took(bytes: number): void {
  taken.calls++;
  taken.bytes += bytes;
  ackTimer ??= setTimeout(() => {
    ackTimer = undefined;
    post({ t: "ack", ...taken });
  }, ACK_MS);
}

let log = new Logger(false, false);
/**
 * Calls and streamed answers are handled one after another, in the order they came: a body is read
 * asynchronously, and a streamed answer belongs to the call posted just before it.
 */
let inOrder: Promise<void> = Promise.resolve();
function inTurn(step: () => Promise<void> | void): void {
  inOrder = inOrder.then(step).catch((e: unknown) => log.warn("logging callbacks: a finished call could not be logged", { error: (e as Error).message }));
}

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m instanceof Uint8Array) {
    inTurn(() => {
      const call = awaitingAnswer;
      awaitingAnswer = undefined;
      if (!call) return;
      took(call.cost);
      hub?.record(restoreRecord({ ...call, chunks: m }));
    });
    return;
  }
  switch (m.t) {
    case "init": {
      ring = ringReader(m.ring);
      log = new Logger(m.log.json, m.log.debug);
      hub = new CallbackHub(m.plans.map((p) => makeSink(p, m.dyn.env, stats, log)), { ...m.policy, scrubber }, m.dyn, stats, log);
      break;
    }
    case "secrets":
      scrubber.use(m.values);
      break;
    case "call": {
      const bytes = ring(m.at, m.len);
      inTurn(async () => {
        // Read before the ring space is acknowledged: the gateway reuses it after.
        const body = await bodyOf(bytes);
        if (m.streamed) {
          awaitingAnswer = { meta: m.meta, body, cost: m.cost };
          return;
        }
        took(m.cost);
        hub?.record(restoreRecord({ meta: m.meta, body }));
      });
      break;
    }
    case "flush":
      await inOrder;
      await hub?.flush();
      report();
      post({ t: "flushed", id: m.id });
      break;
    case "close":
      await inOrder;
      await hub?.close(m.deadlineMs);
      report();
      post({ t: "closed" });
      break;
  }
};
