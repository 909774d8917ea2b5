import type { Context } from "hono";
import { RequestBody } from "../gateway/request-body.ts";
import type { BodyLimits } from "../limits/body-budget.ts";
import { readBodyBytes } from "./body-reader.ts";
import { MAX_JSON_DEPTH } from "./json-depth.ts";

/** Reads a JSON object body as bytes and locates its top-level fields; values decode when read. */
export async function readRequestBody(c: Context, limits: BodyLimits): Promise<RequestBody> {
  const body = RequestBody.read(await readBodyBytes(c.req.raw, limits), MAX_JSON_DEPTH);
  body.checkSmallMembers();
  return body;
}

export function clientIp(c: Context): string | undefined {
  const xff = c.req.header("x-forwarded-for");
  if (xff) return xff.split(",")[0]!.trim();
  return undefined;
}
