import { createHash } from "node:crypto";
import { uiClient } from "./client.ts";
import { STYLE } from "./style.ts";

interface Asset {
  url: string;
  body: string;
  type: string;
}

const hashed = (name: string, ext: string, body: string, type: string): Asset => ({
  url: `/ui/assets/${name}.${createHash("sha256").update(body).digest("hex").slice(0, 12)}.${ext}`,
  body,
  type,
});

/** Embedded CSS and JS; the content hash in the URL lets browsers cache them forever. */
export const ASSETS = {
  css: hashed("app", "css", STYLE, "text/css; charset=utf-8"),
  js: hashed("app", "js", `(${uiClient.toString()})();\n`, "text/javascript; charset=utf-8"),
};

export function assetResponse(path: string): Response | undefined {
  const a = Object.values(ASSETS).find((x) => x.url === path);
  if (!a) return undefined;
  return new Response(a.body, { headers: { "content-type": a.type, "cache-control": "public, max-age=31536000, immutable" } });
}
