import type { Context } from "hono";
import { GatewayError } from "../errors.ts";
import { scanObject } from "../gateway/json-scan.ts";
import { invalidJson, RequestBody } from "../gateway/request-body.ts";
import type { BodyLimits } from "../limits/body-budget.ts";
import { readBodyBytes } from "./body-reader.ts";
import { MAX_JSON_DEPTH } from "./json-depth.ts";

const decoder = new TextDecoder();

/**
 * A body the scanner refused: `JSON.parse` decides, so invalid bodies get its exact message and
 * anything the scanner is stricter about than JSON (a byte-order mark) still goes through.
 */
function parsedAfterScanFailure(bytes: Uint8Array<ArrayBuffer>, reason: "invalid" | "too-deep"): RequestBody {
  if (reason === "too-deep") throw invalidJson(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw invalidJson((e as Error).message);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new GatewayError(400, "Request body must be a JSON object", { type: "invalid_request_error" });
  }
  return RequestBody.fromObject(body as Record<string, unknown>);
}

/** Reads a JSON object body as bytes and locates its top-level fields; values decode when read. */
export async function readRequestBody(c: Context, limits: BodyLimits): Promise<RequestBody> {
  const bytes = await readBodyBytes(c.req.raw, limits);
  const scan = scanObject(bytes, MAX_JSON_DEPTH);
  if (typeof scan === "string") return parsedAfterScanFailure(bytes, scan);
  const body = new RequestBody(bytes, scan);
  body.checkSmallMembers();
  return body;
}

export function clientIp(c: Context): string | undefined {
  const xff = c.req.header("x-forwarded-for");
  if (xff) return xff.split(",")[0]!.trim();
  return undefined;
}
