import type { FakeLLM } from "./llm.ts";

/** Lets a provider-shaped fake reuse the scripted OpenAI/Anthropic answers of the fake LLM. */
export function forwardTo(inner: FakeLLM, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${inner.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** Each SSE event of a response body, as (event name, parsed data). */
export async function* sseEvents(res: Response): AsyncGenerator<{ event?: string; data: string }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buf += dec.decode(value, { stream: true });
    let at = buf.indexOf("\n\n");
    while (at >= 0) {
      const block = buf.slice(0, at);
      buf = buf.slice(at + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined) yield { event, data };
      at = buf.indexOf("\n\n");
    }
    if (done) return;
  }
}
