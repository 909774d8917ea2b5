import type { Server } from "bun";
import { GatewayError } from "../errors.ts";
import { errorResponse, type ErrorShape } from "./error-response.ts";

/** Bun's largest idle timeout, seconds. */
export const MAX_KEEPALIVE_SECONDS = 255;

export interface ConnectionSettings {
  /** Seconds an idle keep-alive connection stays open; 0 keeps it open. */
  keepAliveSeconds: number;
  /** Requests (streams included) this instance serves at once before answering 503; 0 = no cap. */
  limitConcurrency: number;
}

type Fetch = (req: Request, server: Server<unknown>) => Response | Promise<Response>;

const shapeForPath = (path: string): ErrorShape => (path.startsWith("/v1/messages") || path.startsWith("/anthropic/") ? "anthropic" : "openai");

function overloaded(req: Request, cap: number): Response {
  const err = new GatewayError(
    503,
    `litellm.ServiceUnavailableError: this instance is already serving its limit of ${cap} concurrent requests (--limit_concurrency, LIMIT_CONCURRENCY or general_settings.limit_concurrency); retry shortly`,
    { type: "service_unavailable", kind: "ServiceUnavailableError", headers: { "retry-after": "1", connection: "close" } },
  );
  return errorResponse(err, shapeForPath(new URL(req.url).pathname));
}

/**
 * Closes idle keep-alive connections without cutting a request in flight.
 *
 * Bun's idle timer is not reset by bytes a response writes or a body delivers, so a request keeps
 * no timer while its handler runs (an upstream may think for minutes), gets the keep-alive timeout
 * once its response starts, and while that response is still being sent (a stream of any length)
 * the timer is pushed back every second. Once the response is done (`requestIP` turns null), the
 * connection is idle and Bun closes it after the keep-alive timeout. Time to receive headers is
 * Bun's own (about 10 s); time to receive a body is bounded by `src/http/body-reader.ts`.
 */
export class ConnectionGuard {
  private readonly sending = new Set<Request>();
  private sweeper?: ReturnType<typeof setInterval>;
  private server?: Server<unknown>;

  /** Requests answered 503 by the concurrency cap. */
  shed = 0;

  constructor(readonly settings: ConnectionSettings) {}

  /** Requests in flight (streams included), as Bun counts them. */
  get inFlight(): number {
    return this.server?.pendingRequests ?? 0;
  }

  wrap(fetch: Fetch): Fetch {
    const { keepAliveSeconds: keepAlive, limitConcurrency: cap } = this.settings;
    if (keepAlive > 0) this.startSweeper(keepAlive);
    // At least two of Bun's 4 s ticks, so a stream outlives the first second before the sweeper sees it.
    const afterResponse = Math.max(keepAlive, 5);
    const started = (req: Request, server: Server<unknown>) => (res: Response) => {
      server.timeout(req, afterResponse);
      this.sending.add(req);
      return res;
    };
    return (req, server) => {
      this.server = server;
      if (cap > 0 && server.pendingRequests > cap) {
        this.shed++;
        return overloaded(req, cap);
      }
      if (keepAlive === 0) return fetch(req, server);
      server.timeout(req, 0);
      const out = fetch(req, server);
      if (!(out instanceof Promise)) return started(req, server)(out);
      return out.then(started(req, server), (e: unknown) => {
        server.timeout(req, afterResponse);
        throw e;
      });
    };
  }

  private startSweeper(keepAlive: number): void {
    // Bun's timers tick every 4 s and fire at a tick boundary, so the push-back keeps two ticks of margin.
    const pushBack = Math.min(MAX_KEEPALIVE_SECONDS, Math.max(8, keepAlive + 4));
    this.sweeper = setInterval(() => {
      const server = this.server;
      if (!server) return;
      for (const req of this.sending) {
        if (server.requestIP(req) === null) this.sending.delete(req);
        else server.timeout(req, pushBack);
      }
    }, 1000);
    this.sweeper.unref?.();
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.sending.clear();
  }
}
