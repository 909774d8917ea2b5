import { RedisClient } from "bun";

/** Key prefix for everything litellm-rust keeps in a Redis shared with other software. */
export const REDIS_PREFIX = "litellm-rust:";

/** A command connection (and lazily a subscriber connection) to the configured Redis. */
export class RedisLink {
  readonly client: RedisClient;
  private subscriber?: Promise<RedisClient>;
  healthy = true;

  constructor(readonly url: string) {
    this.client = new RedisClient(url, { autoReconnect: true, enableOfflineQueue: false });
    this.client.onclose = () => {
      this.healthy = false;
    };
    this.client.onconnect = () => {
      this.healthy = true;
    };
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<void> {
    this.subscriber ??= this.client.duplicate();
    const sub = await this.subscriber;
    await sub.subscribe(channel, (message) => onMessage(String(message)));
  }

  async ping(): Promise<boolean> {
    try {
      await this.client.send("PING", []);
      this.healthy = true;
    } catch {
      this.healthy = false;
    }
    return this.healthy;
  }

  close(): void {
    this.client.close();
    this.subscriber?.then((s) => s.close()).catch(() => {});
  }
}
