import { MASTER_KEY } from "./proxy.ts";

export type Json = Record<string, any>;

export class Non200 extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(`Request did not return a 200 status code: ${status}. Response: ${text}`);
  }
}

export interface Sent {
  key?: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  text: string;
  headers: Headers;
  body: any;
}

export function proxyClient(base: () => string) {
  const send = async (method: string, path: string, sent: Sent = {}): Promise<Answer> => {
    const headers: Record<string, string> = { authorization: `Bearer ${sent.key ?? MASTER_KEY}`, ...sent.headers };
    let body: BodyInit | undefined;
    if (sent.form) body = new URLSearchParams(sent.form);
    else if (sent.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(sent.json);
    }
    const r = await fetch(`${base()}${path}`, { method, headers, body });
    const text = await r.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: r.status, text, headers: r.headers, body: parsed };
  };
  const ok = async (method: string, path: string, sent: Sent = {}): Promise<any> => {
    const a = await send(method, path, sent);
    if (a.status !== 200) throw new Non200(a.status, a.text);
    return a.body;
  };
  return {
    send,
    ok,
    get: (path: string, key?: string) => ok("GET", path, { key }),
    post: (path: string, json: unknown, key?: string) => ok("POST", path, { json, key }),
    chat: (key: string, model: string, messages: unknown[] = HELLO, extra: Json = {}) => ok("POST", "/chat/completions", { key, json: { model, messages, ...extra } }),
  };
}

export const HELLO = [
  { role: "system", content: "You are a helpful assistant." },
  { role: "user", content: "Hello!" },
];

export const uuid = () => crypto.randomUUID();

export const keyRequest = (o: Json = {}): Json => ({
  models: ["azure-models", "gpt-4", "dall-e-3"],
  aliases: { "mistral-7b": "gpt-3.5-turbo" },
  duration: null,
  max_budget: null,
  budget_duration: null,
  max_parallel_requests: null,
  user_id: null,
  team_id: null,
  metadata: null,
  ...o,
});

export async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("Expected this call to fail");
}

export async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}
