import type { Hono } from "hono";

/** An error answered by the gateway's own API, with LiteLLM's `type` (e.g. `no_db_connection`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type?: string,
  ) {
    super(message);
  }

  get noDb(): boolean {
    return this.type === "no_db_connection";
  }
}

type Json = Record<string, unknown>;

function errorOf(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as { error?: { message?: unknown; type?: unknown }; detail?: unknown; message?: unknown };
  const message = b.error?.message ?? b.detail ?? b.message ?? `HTTP ${status}`;
  return new ApiError(status, typeof message === "string" ? message : JSON.stringify(message), typeof b.error?.type === "string" ? b.error.type : undefined);
}

/**
 * The gateway's management, model and agent APIs called in-process with the logged-in key, so the
 * UI can do exactly what that key may do through the API, checked by the same code.
 */
export class GatewayApi {
  constructor(
    private readonly app: Hono,
    private readonly key: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.key ? { authorization: `Bearer ${this.key}`, ...extra } : extra;
  }

  /** The raw response (streams, downloads). */
  fetch(path: string, init: { method?: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const req = new Request(`http://gateway.internal${path}`, { method: init.method ?? "GET", body: init.body, headers: this.headers(init.headers), signal: init.signal });
    return Promise.resolve(this.app.fetch(req));
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { "content-type": "application/json" } });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { detail: text.slice(0, 200) };
    }
    if (!res.ok) throw errorOf(res.status, parsed);
    return parsed as T;
  }

  get<T = Json>(path: string): Promise<T> {
    return this.json<T>("GET", path);
  }

  post<T = Json>(path: string, body: unknown = {}): Promise<T> {
    return this.json<T>("POST", path, body);
  }
}

/** `path?query` with empty values left out. */
export function withQuery(path: string, q: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}
