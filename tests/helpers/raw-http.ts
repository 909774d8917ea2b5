import { connect, type Socket } from "node:net";

/** A client connection over a raw socket: what it received and whether the server closed it. */
export interface RawConn {
  socket: Socket;
  received(): string;
  /** Resolves once the server closed the connection (or it failed), with everything received. */
  closed: Promise<string>;
  /** Resolves once `text` has been received. */
  waitFor(text: string): Promise<string>;
  /** Resolves with the first complete response (a body with a content-length). */
  response(): Promise<{ status: number; headers: string; body: string }>;
  write(data: string | Uint8Array): void;
  destroy(): void;
}

export function rawConnect(port: number, host = "127.0.0.1"): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    let data = "";
    const waiters: Array<{ ready: (s: string) => boolean; done: (s: string) => void }> = [];
    const wait = (ready: (s: string) => boolean) => (ready(data) ? Promise.resolve(data) : new Promise<string>((done) => waiters.push({ ready, done })));
    let onClose!: (s: string) => void;
    const closed = new Promise<string>((r) => (onClose = r));
    const socket = connect(port, host);
    socket.setNoDelay(true);
    socket.on("data", (d) => {
      data += d.toString("latin1");
      for (const w of waiters.splice(0)) {
        if (w.ready(data)) w.done(data);
        else waiters.push(w);
      }
    });
    socket.on("close", () => onClose(data));
    socket.on("error", (e) => {
      if (!socket.readyState || socket.connecting) reject(e);
    });
    socket.on("connect", () =>
      resolve({
        socket,
        received: () => data,
        closed,
        waitFor: (text) => wait((d) => d.includes(text)),
        response: async () => {
          const raw = await wait((d) => complete(d) !== undefined);
          return complete(raw)!;
        },
        write: (d) => {
          if (!socket.destroyed) socket.write(d);
        },
        destroy: () => socket.destroy(),
      }),
    );
  });
}

function complete(raw: string): { status: number; headers: string; body: string } | undefined {
  const end = raw.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const headers = raw.slice(0, end);
  const len = Number(/content-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
  if (raw.length < end + 4 + len) return undefined;
  return { status: statusOf(raw), headers, body: raw.slice(end + 4, end + 4 + len) };
}

/** The body of the last HTTP response in `raw`, parsed as JSON. */
export function lastJsonBody(raw: string): unknown {
  const at = raw.lastIndexOf("\r\n\r\n");
  return JSON.parse(raw.slice(at + 4));
}

export const statusOf = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
