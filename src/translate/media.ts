import type { ImageSource } from "./ir.ts";

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

/** `data:<type>;base64,<data>` or a plain URL, as OpenAI puts images in `image_url`. */
export function sourceFromUrl(url: string): ImageSource {
  const m = DATA_URL.exec(url);
  return m ? { kind: "base64", mediaType: m[1]!, data: m[2]! } : { kind: "url", url };
}

export function dataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

export function urlFromSource(s: ImageSource): string {
  return s.kind === "base64" ? dataUrl(s.mediaType, s.data) : s.url;
}

/** A base64 data URL split into type and payload, or undefined for anything else. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = DATA_URL.exec(url);
  return m ? { mediaType: m[1]!, data: m[2]! } : undefined;
}
