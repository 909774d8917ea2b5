export type Json = Record<string, unknown>;
export interface Answer {
  status: number;
  body: Json & { error?: { message: string; type: string; code: string; param: string | null } };
}

/** Plain-fetch calls to the management API of a running gateway, as a script would make them. */
export function mgmtClient(url: () => string, defaultKey: string) {
  const call = async (method: string, path: string, body?: unknown, key = defaultKey): Promise<Answer> => {
    const r = await fetch(`${url()}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : null) as Answer["body"] };
  };
  return {
    call,
    get: (path: string, key?: string) => call("GET", path, undefined, key),
    post: (path: string, body: unknown, key?: string) => call("POST", path, body, key),
    patch: (path: string, body: unknown, key?: string) => call("PATCH", path, body, key),
    del: (path: string, body: unknown, key?: string) => call("DELETE", path, body, key),
  };
}
