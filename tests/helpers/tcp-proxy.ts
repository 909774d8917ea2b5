import type { Socket, TCPSocketListener } from "bun";

interface Pair {
  client: Socket<Pair>;
  upstream?: Socket<Pair>;
  pending: Uint8Array[];
}

/** A TCP relay the test controls: `cut()` drops every connection and refuses new ones; `restore()` listens again on the same port. */
export class TcpProxy {
  private listener?: TCPSocketListener<Pair>;
  private readonly pairs = new Set<Pair>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  start(): this {
    const self = this;
    this.listener = Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port: this.port,
      socket: {
        open(client) {
          const pair: Pair = { client, pending: [] };
          client.data = pair;
          self.pairs.add(pair);
          Bun.connect<Pair>({
            hostname: self.targetHost,
            port: self.targetPort,
            data: pair,
            socket: {
              open(up) {
                pair.upstream = up;
                for (const chunk of pair.pending) up.write(chunk);
                pair.pending = [];
              },
              data(_up, chunk) {
                pair.client.write(chunk);
              },
              close() {
                pair.client.end();
                self.pairs.delete(pair);
              },
              error() {
                pair.client.end();
              },
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          const pair = client.data;
          if (pair.upstream) pair.upstream.write(chunk);
          else pair.pending.push(new Uint8Array(chunk));
        },
        close(client) {
          client.data.upstream?.end();
          self.pairs.delete(client.data);
        },
        error(client) {
          client.data.upstream?.end();
        },
      },
    });
    this.port = this.listener.port;
    return this;
  }

  /** Postgres "goes away": the listener closes and live connections are torn down. */
  cut(): void {
    this.listener?.stop(true);
    this.listener = undefined;
    for (const p of this.pairs) {
      p.client.terminate();
      p.upstream?.terminate();
    }
    this.pairs.clear();
  }

  restore(): void {
    if (!this.listener) this.start();
  }

  stop(): void {
    this.cut();
  }
}
