import { RedisClient } from "bun";
import type { Logger } from "./log.ts";

/** Key prefix for everything litellm-rust keeps in a Redis shared with other software. */
export const REDIS_PREFIX = "litellm-rust:";

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

export interface OutageTiming {
  /** How often a down Redis is pinged to notice it is back. */
  probeMs: number;
  /** How often, at most, the log recalls that Redis is still down. */
  reminderMs: number;
}

const DEFAULT_TIMING: OutageTiming = { probeMs: 2000, reminderMs: 60_000 };

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

/**
 * Redis availability as the log tells it: one warning when it goes down (naming the first failed
 * operation), one line when it answers again, and in between a reminder at most every
 * `reminderMs` with how many operations fell back, however many requests fail meanwhile.
 */
export class RedisHealth {
  private downSince = 0;
  private failedSinceNote = 0;
  private failedTotal = 0;
  private notedAt = 0;
  private probe?: ReturnType<typeof setInterval>;
  private stopped = false;
  private probing = false;

  constructor(
    private readonly where: string,
    private readonly log: Logger,
    /** Reconnects if needed and pings; throws while Redis is down. */
    private readonly ping: () => Promise<unknown>,
    private readonly timing: OutageTiming = DEFAULT_TIMING,
    private readonly onUp: () => void = () => {},
  ) {}

  get up(): boolean {
    return this.downSince === 0;
  }

  /** An operation failed (what it fell back to goes in `op`). */
  failed(op: string, e?: unknown): void {
    if (this.stopped) return;
    this.failedTotal++;
    if (this.downSince) {
      this.failedSinceNote++;
      return;
    }
    this.downSince = this.notedAt = Date.now();
    this.failedSinceNote = 0;
    this.failedTotal = 1;
    this.log.warn(`redis at ${this.where} is down; falling back to local state until it answers (further failures are summarised)`, {
      operation: op,
      error: e instanceof Error ? e.message : e === undefined ? undefined : String(e),
    });
    this.probe = setInterval(() => void this.check(), this.timing.probeMs);
    this.probe.unref?.();
  }

  /** Redis answered (a reconnect, a successful probe). */
  recovered(): void {
    if (!this.downSince) return;
    clearInterval(this.probe);
    const down = Date.now() - this.downSince;
    this.downSince = 0;
    this.log.info(`redis at ${this.where} is back up after ${seconds(down)}; ${this.failedTotal} operations fell back meanwhile`);
    this.onUp();
  }

  /** The reminder does not wait for the ping: reconnecting can hang until the client gives up. */
  private async check(): Promise<void> {
    if (!this.downSince || this.stopped) return;
    const now = Date.now();
    if (now - this.notedAt >= this.timing.reminderMs) {
      this.log.warn(`redis at ${this.where} still down after ${seconds(now - this.downSince)}; ${this.failedSinceNote} operations fell back in the last ${seconds(now - this.notedAt)}`);
      this.notedAt = now;
      this.failedSinceNote = 0;
    }
    if (this.probing) return;
    this.probing = true;
    try {
      await this.ping();
      this.recovered();
    } catch {
      /* still down */
    } finally {
      this.probing = false;
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.probe);
  }
}

/**
 * A command connection (and lazily a subscriber connection) to the configured Redis. Bun's client
 * stops reconnecting after a while, so a down link is reconnected by the health probe; the
 * subscriber does not resubscribe by itself, so it is rebuilt with every channel once Redis is back.
 */
export class RedisLink {
  readonly client: RedisClient;
  readonly health: RedisHealth;
  private subscriber?: Promise<RedisClient>;
  private readonly channels = new Map<string, (message: string) => void>();
  private readonly upHooks: Array<() => void> = [];

  constructor(
    readonly url: string,
    log: Logger,
    timing?: OutageTiming,
  ) {
    this.client = new RedisClient(url, { autoReconnect: true, enableOfflineQueue: false });
    const ping = async () => {
      if (!this.client.connected) await this.client.connect();
      await this.client.send("PING", []);
    };
    this.health = new RedisHealth(redactUrl(url), log, ping, timing, () => this.backUp());
    this.client.onclose = (e) => this.health.failed("connection closed", e);
    this.client.onconnect = () => this.health.recovered();
  }

  get healthy(): boolean {
    return this.health.up;
  }

  /** Connects now; when Redis is not there the outage is logged once and the link keeps retrying. */
  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch (e) {
      this.health.failed("connect at start", e);
    }
  }

  /** Work to redo once Redis answers again after an outage (what was missed meanwhile). */
  onBackUp(hook: () => void): void {
    this.upHooks.push(hook);
  }

  /** Subscribes now and again after every outage; throws (and still resubscribes later) while Redis is down. */
  async subscribe(channel: string, onMessage: (message: string) => void): Promise<void> {
    this.channels.set(channel, onMessage);
    this.subscriber ??= this.client.duplicate();
    const sub = await this.subscriber.catch((e) => {
      this.subscriber = undefined;
      throw e;
    });
    await sub.subscribe(channel, (message) => onMessage(String(message)));
  }

  private backUp(): void {
    if (this.channels.size) {
      const old = this.subscriber;
      this.subscriber = undefined;
      old?.then((s) => s.close()).catch(() => {});
      for (const [channel, fn] of this.channels) this.subscribe(channel, fn).catch((e) => this.health.failed(`resubscribe to ${channel}`, e));
    }
    for (const hook of this.upHooks) hook();
  }

  close(): void {
    this.health.stop();
    this.client.close();
    this.subscriber?.then((s) => s.close()).catch(() => {});
  }
}
