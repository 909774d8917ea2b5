/**
 * Streaming load client: opens `n` SSE streams (one TCP connection each, started evenly over
 * `rampMs`), decodes HTTP/1.1 chunked bodies itself and times every SSE event: time to the first
 * event from the moment the connection is opened, and the gaps between text chunks. Counts text
 * chunks per stream against `expectChunks` (a lost chunk is one that never arrived).
 * Usage: bun scripts/bench/clients/streams.ts SPEC.json → one JSON line on stdout.
 */
import { pct, sortedFloat } from "../stats.ts";

export interface StreamSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  n: number;
  rampMs: number;
  textMarker: string;
  endMarker: string;
  expectChunks: number;
  timeoutMs: number;
}

export interface StreamResult {
  n: number;
  completed: number;
  failed: number;
  lostChunks: number;
  /** µs */
  ttfbP50: number;
  ttfbP90: number;
  ttfbP99: number;
  gapP50: number;
  gapP99: number;
  maxOpen: number;
  firstError?: string;
}

class ChunkedDecoder {
  private left = -1;
  private sizeLine = "";
  private skip = 0;
  done = false;

  /** Returns the payload bytes in `s` (latin1 text: one char per byte). */
  feed(s: string): string {
    let out = "";
    let i = 0;
    while (i < s.length && !this.done) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, s.length - i);
        this.skip -= n;
        i += n;
      } else if (this.left > 0) {
        const n = Math.min(this.left, s.length - i);
        out += s.slice(i, i + n);
        this.left -= n;
        i += n;
        if (this.left === 0) this.skip = 2;
      } else {
        const nl = s.indexOf("\n", i);
        if (nl < 0) {
          this.sizeLine += s.slice(i);
          break;
        }
        const line = (this.sizeLine + s.slice(i, nl)).trim();
        this.sizeLine = "";
        i = nl + 1;
        if (!line) continue;
        this.left = parseInt(line, 16);
        if (this.left === 0) this.done = true;
      }
    }
    return out;
  }
}

interface StreamState {
  start: number;
  head: string;
  status: number;
  chunked?: ChunkedDecoder;
  sse: string;
  first: number;
  lastText: number;
  texts: number;
  ended: boolean;
}

export async function runStreams(spec: StreamSpec): Promise<StreamResult> {
  const url = new URL(spec.url);
  const host = url.hostname;
  const port = Number(url.port);
  let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  for (const [k, v] of Object.entries(spec.headers)) head += `${k}: ${v}\r\n`;
  const request = `${head}Content-Length: ${Buffer.byteLength(spec.body)}\r\nConnection: close\r\n\r\n${spec.body}`;

  const ttfb: number[] = [];
  const gaps: number[] = [];
  let completed = 0;
  let failed = 0;
  let lost = 0;
  let open = 0;
  let maxOpen = 0;
  let finished = 0;
  let firstError: string | undefined;
  let allDone!: () => void;
  const done = new Promise<void>((r) => (allDone = r));

  const onEvent = (st: StreamState, ev: string, now: number) => {
    if (!st.first) {
      st.first = now;
      ttfb.push((now - st.start) * 1000);
    }
    if (ev.includes(spec.textMarker)) {
      if (st.lastText) gaps.push((now - st.lastText) * 1000);
      st.lastText = now;
      st.texts++;
    }
    if (ev.includes(spec.endMarker)) st.ended = true;
  };

  const onBody = (st: StreamState, text: string, now: number) => {
    st.sse += text;
    let at = st.sse.indexOf("\n\n");
    while (at >= 0) {
      onEvent(st, st.sse.slice(0, at), now);
      st.sse = st.sse.slice(at + 2);
      at = st.sse.indexOf("\n\n");
    }
  };

  const finish = (st: StreamState, error?: string) => {
    open--;
    finished++;
    const ok = !error && st.status === 200 && st.ended;
    if (ok) completed++;
    else {
      failed++;
      firstError ??= error ?? `status ${st.status}${st.ended ? "" : ", stream not ended"}: ${st.sse.slice(0, 200)}`;
    }
    lost += Math.max(0, spec.expectChunks - st.texts);
    if (finished === spec.n) allDone();
  };

  const startOne = () => {
    const st: StreamState = { start: performance.now(), head: "", status: 0, sse: "", first: 0, lastText: 0, texts: 0, ended: false };
    let closed = false;
    const close = (error?: string) => {
      if (closed) return;
      closed = true;
      finish(st, error);
    };
    open++;
    maxOpen = Math.max(maxOpen, open);
    Bun.connect({
      hostname: host,
      port,
      socket: {
        open(s) {
          s.write(request);
        },
        data(_s, buf) {
          const now = performance.now();
          let s = buf.toString("latin1");
          if (!st.status) {
            st.head += s;
            const end = st.head.indexOf("\r\n\r\n");
            if (end < 0) return;
            st.status = Number(st.head.slice(9, 12));
            if (/\r\ntransfer-encoding:\s*chunked/i.test(st.head.slice(0, end))) st.chunked = new ChunkedDecoder();
            s = st.head.slice(end + 4);
          }
          onBody(st, st.chunked ? st.chunked.feed(s) : s, now);
        },
        close() {
          close();
        },
        error(_s, e) {
          close(e.message);
        },
      },
    }).catch((e: Error) => close(e.message));
  };

  for (let i = 0; i < spec.n; i++) setTimeout(startOne, (i * spec.rampMs) / spec.n);
  const timedOut = await Promise.race([done.then(() => false), Bun.sleep(spec.timeoutMs).then(() => true)]);
  if (timedOut) {
    failed += spec.n - finished;
    lost += (spec.n - finished) * spec.expectChunks;
    firstError ??= `${spec.n - finished} streams still open after ${spec.timeoutMs} ms`;
  }
  const t = sortedFloat(ttfb);
  const g = sortedFloat(gaps);
  return {
    n: spec.n,
    completed,
    failed,
    lostChunks: lost,
    ttfbP50: pct(t, 50),
    ttfbP90: pct(t, 90),
    ttfbP99: pct(t, 99),
    gapP50: pct(g, 50),
    gapP99: pct(g, 99),
    maxOpen,
    firstError,
  };
}

if (import.meta.main) {
  const spec = (await Bun.file(process.argv[2]!).json()) as StreamSpec;
  process.stdout.write(`${JSON.stringify(await runStreams(spec))}\n`);
  process.exit(0);
}
