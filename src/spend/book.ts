/** A spend value shared by every cached object that names the same entity. */
export interface SpendCell {
  value: number;
  /** When the database value was last read (ms). */
  readAt?: number;
}

export type EntityKey = `key:${string}` | `user:${string}` | `team:${string}` | `member:${string}:${string}` | `end_user:${string}` | `org:${string}` | `tag:${string}`;

/**
 * The spend this instance knows per entity: the value last read from Postgres plus what this
 * instance recorded since and has not written yet. Budget checks read it, so a budget stops calls
 * as soon as the spend crosses it, before the batch writer reaches Postgres.
 */
export class SpendBook {
  private readonly cells = new Map<string, SpendCell>();
  private readonly pending = new Map<string, number>();
  /** Told when a budget reset set an entity's database spend to 0, with the spend it now has here. */
  onReset?: (key: EntityKey, spend: number) => void;

  /** The cell for an entity, refreshed from a database read. */
  fromDb(key: EntityKey, dbValue: number): SpendCell {
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = { value: 0 }));
    c.value = dbValue + (this.pending.get(key) ?? 0);
    c.readAt = Date.now();
    return c;
  }

  get(key: EntityKey): number | undefined {
    return this.cells.get(key)?.value;
  }

  /** A new, not yet written spend. */
  add(key: EntityKey, amount: number): void {
    if (!amount) return;
    const c = this.cells.get(key);
    if (c) c.value += amount;
    this.pending.set(key, (this.pending.get(key) ?? 0) + amount);
  }

  /** The writer committed `amount` of this entity's pending spend to Postgres. */
  written(key: EntityKey, amount: number): void {
    const left = (this.pending.get(key) ?? 0) - amount;
    if (Math.abs(left) < 1e-12) this.pending.delete(key);
    else this.pending.set(key, left);
  }

  /** Budget reset: the database value went to 0. */
  reset(key: EntityKey): void {
    const c = this.cells.get(key);
    const spend = this.pending.get(key) ?? 0;
    if (c) c.value = spend;
    this.onReset?.(key, spend);
  }
}
