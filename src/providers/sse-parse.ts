export interface SseMessage {
  event?: string;
  data: string;
}

/** Incremental SSE parser for stream transforms: feed bytes, get whole events. */
export class SseParser {
  private buf = "";
  private readonly decoder = new TextDecoder();

  push(chunk: Uint8Array): SseMessage[] {
    this.buf += this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /** The last event when the stream ends without a blank line. */
  end(): SseMessage[] {
    this.buf += this.decoder.decode();
    return this.drain(true);
  }

  private drain(final: boolean): SseMessage[] {
    const out: SseMessage[] = [];
    this.buf = this.buf.replace(/\r\n?/g, "\n");
    let at = this.buf.indexOf("\n\n");
    while (at >= 0 || (final && this.buf.trim())) {
      const block = at >= 0 ? this.buf.slice(0, at) : this.buf;
      this.buf = at >= 0 ? this.buf.slice(at + 2) : "";
      const msg = parseBlock(block);
      if (msg) out.push(msg);
      at = this.buf.indexOf("\n\n");
    }
    return out;
  }
}

function parseBlock(block: string): SseMessage | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
    else if (line.startsWith("event:")) event = line.slice(6).trim();
  }
  return data.length ? { event, data: data.join("\n") } : undefined;
}
