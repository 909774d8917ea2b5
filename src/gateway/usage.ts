/** Token usage normalised the way LiteLLM counts it (prompt includes cache read and creation tokens). */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  reasoningTokens: number;
  /** What the non-token APIs bill (images, seconds of audio, characters, search units). */
  units?: BillableUnits;
}

/** LiteLLM prices images per pixel or image, transcription per second, speech per character, rerank per search unit. */
export interface BillableUnits {
  images?: number;
  /** `1024x1024`; with `quality` it picks the per-pixel price (DALL·E). */
  size?: string;
  quality?: string;
  seconds?: number;
  characters?: number;
  searchUnits?: number;
}

export const emptyUsage = (): Usage => ({
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  cacheReadTokens: 0,
  cacheCreationTokens: 0,
  reasoningTokens: 0,
});

const n = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Raw usage fields gathered from one or more usage objects; later values win. */
interface RawUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  cached_tokens?: number;
  /** OpenAI-style cache writes inside the token details (translated Anthropic usage). */
  cache_write_tokens?: number;
  reasoning_tokens?: number;
}

function mergeRaw(into: RawUsage, u: Record<string, unknown>): void {
  for (const k of [
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
  ] as const) {
    const v = n(u[k]);
    if (v !== undefined) into[k] = v;
  }
  const pd = (u.prompt_tokens_details ?? u.input_tokens_details) as Record<string, unknown> | undefined;
  const cached = n(pd?.cached_tokens);
  if (cached !== undefined) into.cached_tokens = cached;
  const written = n(pd?.cache_write_tokens) ?? n(pd?.cache_creation_tokens);
  if (written !== undefined) into.cache_write_tokens = written;
  const cd = (u.completion_tokens_details ?? u.output_tokens_details) as Record<string, unknown> | undefined;
  const reasoning = n(cd?.reasoning_tokens);
  if (reasoning !== undefined) into.reasoning_tokens = reasoning;
}

function finish(r: RawUsage): Usage {
  const u = emptyUsage();
  u.cacheReadTokens = r.cache_read_input_tokens ?? r.cached_tokens ?? 0;
  u.cacheCreationTokens = r.cache_creation_input_tokens ?? r.cache_write_tokens ?? 0;
  if (r.prompt_tokens !== undefined) {
    u.promptTokens = r.prompt_tokens;
  } else if (r.input_tokens !== undefined) {
    // Anthropic reports input without cache tokens; OpenAI Responses includes cached tokens in input_tokens.
    const anthropicStyle = r.cache_read_input_tokens !== undefined || r.cache_creation_input_tokens !== undefined;
    u.promptTokens = anthropicStyle ? r.input_tokens + u.cacheReadTokens + u.cacheCreationTokens : r.input_tokens;
  }
  u.completionTokens = r.completion_tokens ?? r.output_tokens ?? 0;
  u.reasoningTokens = r.reasoning_tokens ?? 0;
  u.totalTokens = u.promptTokens + u.completionTokens;
  return u;
}

export function usageFromObjects(objs: Array<Record<string, unknown>>): Usage | undefined {
  if (objs.length === 0) return undefined;
  const raw: RawUsage = {};
  for (const o of objs) mergeRaw(raw, o);
  return finish(raw);
}

/** Usage of a complete JSON response in any supported protocol. */
export function usageFromBody(body: unknown): Usage | undefined {
  if (!body || typeof body !== "object") return undefined;
  const b = body as Record<string, unknown>;
  const u = (b.usage ?? (b.response as Record<string, unknown> | undefined)?.usage) as Record<string, unknown> | undefined;
  return u && typeof u === "object" ? usageFromObjects([u]) : undefined;
}

/** Returns the end index (exclusive) of the JSON object starting at `start` (a `{`), or -1. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Every `"usage":{…}` object that is whole inside `text`, in order. Used on stream head and tail windows. */
export function scanUsageObjects(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  let from = 0;
  for (;;) {
    const at = text.indexOf('"usage"', from);
    if (at < 0) break;
    from = at + 7;
    let i = from;
    while (i < text.length && (text[i] === " " || text[i] === ":")) i++;
    if (text[i] !== "{") continue;
    const end = objectEnd(text, i);
    if (end < 0) continue;
    try {
      out.push(JSON.parse(text.slice(i, end)) as Record<string, unknown>);
    } catch {
      /* a partial object cut by the window edge */
    }
    from = end;
  }
  return out;
}

/** The first `"id":"…"` value in text: the response id of every protocol's first stream event. */
export function scanFirstId(text: string): string | undefined {
  const m = /"id"\s*:\s*"([^"\\]{1,200})"/.exec(text);
  return m?.[1];
}
