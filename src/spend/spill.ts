import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { eventJson } from "./event-json.ts";
import type { SpendEvent } from "./spend-log.ts";

const PREFIX = "spend-";
const SUFFIX = ".jsonl";
export const QUARANTINE_FILE = "quarantine.jsonl";

/** A spill file's name: replayed in name order, oldest first. */
export const spillName = (tag: string) => `${PREFIX}${Date.now().toString().padStart(15, "0")}-${tag}${SUFFIX}`;

/**
 * JSON lines of events. An event that cannot be serialized (it never comes from `spendEventFor`,
 * which bounds client JSON) is left out and counted, so it never blocks the others.
 */
export function jsonLines(events: SpendEvent[]): { text: string; skipped: number } {
  const lines: string[] = [];
  let skipped = 0;
  for (const ev of events) {
    try {
      lines.push(eventJson(ev));
    } catch {
      skipped++;
    }
  }
  lines.push("");
  return { text: lines.join("\n"), skipped };
}

/**
 * Spend events that could not be written to Postgres, kept on disk as JSON lines until they are.
 * Each spill is a new file made durable (fsync) and renamed into place, so a crash never leaves a
 * half-written file behind; files are replayed oldest first and removed once committed.
 */
export class SpillStore {
  private seq = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Writes events to a new spill file; returns how many could not be serialized. */
  append(events: SpendEvent[]): number {
    if (events.length === 0) return 0;
    const lines = jsonLines(events);
    const name = spillName(`${process.pid}-${this.seq++}`);
    const tmp = join(this.dir, `.${name}.tmp`);
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, lines.text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    return lines.skipped;
  }

  files(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.startsWith(PREFIX) && f.endsWith(SUFFIX))
      .sort();
  }

  read(file: string): SpendEvent[] {
    const out: SpendEvent[] = [];
    for (const line of readFileSync(join(this.dir, file), "utf8").split("\n")) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as SpendEvent);
      } catch {
        /* a torn line cannot happen with rename-into-place; skip anything unreadable */
      }
    }
    return out;
  }

  remove(file: string): void {
    try {
      unlinkSync(join(this.dir, file));
    } catch {
      /* already replayed by another instance sharing the directory */
    }
  }

  /**
   * An event no repair could write, kept as one JSON line in `quarantine.jsonl` (`at`, `error`,
   * `event`) for an operator; nothing reads the file back.
   */
  quarantine(ev: SpendEvent, error: string): string {
    const path = join(this.dir, QUARANTINE_FILE);
    const at = new Date().toISOString();
    let line: string;
    try {
      line = JSON.stringify({ at, error, event: ev });
    } catch (e) {
      line = JSON.stringify({ at, error, request_id: String(ev.row?.request_id), unserializable: (e as Error).message });
    }
    appendFileSync(path, `${line}\n`);
    return path;
  }

  get pendingFiles(): number {
    return this.files().length;
  }
}
