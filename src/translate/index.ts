import type { Protocol } from "../providers/types.ts";

export interface TranslateContext {
  /** The model name the client asked for; translated responses report it back. */
  model: string;
}

/**
 * Converts one client protocol to one upstream protocol and back. Pure: request and response are
 * functions of their input; the stream is a TransformStream over SSE bytes.
 */
export interface Translator {
  request(body: Record<string, unknown>, ctx: TranslateContext): Record<string, unknown>;
  response(body: Record<string, unknown>, ctx: TranslateContext): Record<string, unknown>;
  stream(ctx: TranslateContext): TransformStream<Uint8Array, Uint8Array>;
}

const table = new Map<string, Translator>();

export function registerTranslator(from: Protocol, to: Protocol, t: Translator): void {
  table.set(`${from}>${to}`, t);
}

/** Translator from the client's protocol to the upstream's, or undefined when none exists. */
export function translator(from: Protocol, to: Protocol): Translator | undefined {
  return table.get(`${from}>${to}`);
}
