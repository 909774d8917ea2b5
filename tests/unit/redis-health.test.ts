import { describe, expect, test } from "bun:test";
import { Logger } from "../../src/log.ts";
import { RedisHealth } from "../../src/redis.ts";

describe("Redis outage log", () => {
  test("one line down, a reminder at most every reminderMs however many operations fail, one line back up", async () => {
    const lines: string[] = [];
    let reachable = false;
    let upCalls = 0;
    const health = new RedisHealth(
      "redis://cache:6379",
      new Logger(false, false, (l) => lines.push(l)),
      async () => {
        if (!reachable) throw new Error("Connection has failed");
      },
      { probeMs: 20, reminderMs: 150 },
      () => upCalls++,
    );
    health.failed("rate limits (counted in memory)", new Error("Connection is closed"));
    for (let i = 0; i < 500; i++) health.failed("router rpm/tpm (local counts)", new Error("Connection is closed"));
    expect(health.up).toBe(false);
    expect(lines).toEqual([
      'litellm-rust WARN: redis at redis://cache:6379 is down; falling back to local state until it answers (further failures are summarised) operation=rate limits (counted in memory) error=Connection is closed',
    ]);
    await Bun.sleep(400);
    const reminders = lines.slice(1);
    expect(reminders.length).toBeGreaterThanOrEqual(1);
    expect(reminders.length).toBeLessThanOrEqual(3);
    expect(reminders[0]).toMatch(/^litellm-rust WARN: redis at redis:\/\/cache:6379 still down after \d+s; 500 operations fell back in the last \d+s$/);
    reachable = true;
    await Bun.sleep(100);
    expect(health.up).toBe(true);
    expect(upCalls).toBe(1);
    expect(lines.at(-1)).toMatch(/^litellm-rust INFO: redis at redis:\/\/cache:6379 is back up after \d+s; 501 operations fell back meanwhile$/);
    const count = lines.length;
    await Bun.sleep(100);
    expect(lines.length).toBe(count);
    health.stop();
  });
});
