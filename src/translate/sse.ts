/** One server-sent event as received: the `event:` name when there was one, and the joined `data:` lines. */
export interface SseMessage {
  event?: string;
  data: string;
}

/**
 * Incremental SSE parser (WHATWG rules): bytes arrive in arbitrary pieces, an event may be split
 * across chunks (even inside a UTF-8 sequence or between `\r` and `\n`), and one chunk may hold
 * several events.
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private buf = "";
  private event: string | undefined;
  private data: string[] = [];

  push(chunk: Uint8Array): SseMessage[] {
    this.buf += this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /** Flushes what is left when the body ends; a last event without its blank line still counts. */
  end(): SseMessage[] {
    this.buf += this.decoder.decode();
    const out = this.drain(true);
    if (this.buf) this.line(this.buf, out);
    this.buf = "";
    this.dispatch(out);
    return out;
  }

  private drain(final: boolean): SseMessage[] {
    const out: SseMessage[] = [];
    let start = 0;
    const s = this.buf;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 13 && i === s.length - 1 && !final) break; // a `\n` may follow in the next chunk
      this.line(s.slice(start, i), out);
      if (c === 13 && s.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.buf = s.slice(start);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === "") return this.dispatch(out);
    if (line.charCodeAt(0) === 58 /* : comment */) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
  }

  private dispatch(out: SseMessage[]): void {
    if (this.data.length) out.push(this.event ? { event: this.event, data: this.data.join("\n") } : { data: this.data.join("\n") });
    this.data = [];
    this.event = undefined;
  }
}
