/** Narrowing helpers for request and response bodies, which arrive as untyped JSON. */
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
export const bool = (v: unknown): boolean | undefined => (typeof v === "boolean" ? v : undefined);
export const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
export const obj = (v: unknown): Obj => (isObj(v) ? v : {});

/** Parses tool-call arguments; anything but a JSON object becomes `{}` (Anthropic needs an object). */
export function argsObject(text: string): Obj {
  if (!text.trim()) return {};
  try {
    const v: unknown = JSON.parse(text);
    return isObj(v) ? v : {};
  } catch {
    return {};
  }
}

/** Drops undefined values so encoded bodies carry only the fields that were set. */
export function compact<T extends Obj>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

export const randomId = (prefix: string) => `${prefix}${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;

/** A JSON object from text, or undefined for anything else (SSE data lines, tool arguments). */
export function parseObj(text: string): Obj | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
