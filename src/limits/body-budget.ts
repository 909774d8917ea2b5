/**
 * Bytes of request bodies being received at once on this instance. A body reserves its
 * `content-length` before the first byte is read (a chunked one reserves as it arrives) and gives
 * it back once read, so many slow or large uploads cannot hold more than `capacity` bytes.
 */
export class BodyBudget {
  private used = 0;

  constructor(public capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  /** False when `bytes` would pass the capacity; a body alone on the instance always fits. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.capacity && this.used > 0) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

export interface BodyLimits {
  /** Largest body accepted (`general_settings.max_request_size_mb`). */
  maxBytes: number;
  /** Time allowed to receive the whole body once the handler asks for it; 0 = no bound. */
  timeoutMs: number;
  budget?: BodyBudget;
  /** The setting named in a 413 (default `general_settings.max_request_size_mb`). */
  limitName?: string;
}
