const decoder = new TextDecoder();
const HEAD_BYTES = 8 * 1024;
const TAIL_BYTES = 32 * 1024;

/**
 * The first 8 KB and about the last 32 KB of a body seen chunk by chunk (whole chunks are kept,
 * none copied): where a relayed answer carries its id and its usage.
 */
export class HeadTail {
  private readonly head: Uint8Array[] = [];
  private headLen = 0;
  private readonly tail: Uint8Array[] = [];
  private tailLen = 0;

  push(chunk: Uint8Array): void {
    if (this.headLen < HEAD_BYTES) {
      this.head.push(chunk);
      this.headLen += chunk.byteLength;
      return;
    }
    this.tail.push(chunk);
    this.tailLen += chunk.byteLength;
    while (this.tail.length > 1 && this.tailLen - this.tail[0]!.byteLength >= TAIL_BYTES) this.tailLen -= this.tail.shift()!.byteLength;
  }

  headText(): string {
    return decoder.decode(Buffer.concat(this.head));
  }

  /** "" when the body fitted in the head. */
  tailText(): string {
    return this.tail.length ? decoder.decode(Buffer.concat(this.tail)) : "";
  }
}
