import type { Context } from "hono";
import { RequestBody } from "../gateway/request-body.ts";
import { ScanCache } from "../gateway/scan-cache.ts";
import type { BodyLimits } from "../limits/body-budget.ts";
import { readBodyBytes } from "./body-reader.ts";
import { MAX_JSON_DEPTH } from "./json-depth.ts";

const KB = 1024;
/** Bodies this large come from long agent sessions: each client's last one is kept to resume its next scan, and freed once done with. */
const LARGE = 256 * KB;
const scans = new ScanCache(LARGE, 64 * KB * KB);

/** The credential a request carries, naming whose earlier body its scan may resume from. */
function credentialOf(c: Context): string | undefined {
  return c.req.header("x-api-key") ?? c.req.header("authorization") ?? undefined;
}

/** Reads a JSON object body as bytes and locates its top-level fields; values decode when read. */
export async function readRequestBody(c: Context, limits: BodyLimits): Promise<RequestBody> {
  const owner = credentialOf(c);
  const bytes = await readBodyBytes(c.req.raw, limits);
  const body = RequestBody.read(bytes, MAX_JSON_DEPTH, (b, depth) => scans.scan(owner, b, depth));
  if (bytes.byteLength >= LARGE && body.bytes === bytes) body.onDone = () => scans.done(owner, bytes);
  body.checkSmallMembers();
  return body;
}

export function clientIp(c: Context): string | undefined {
  const xff = c.req.header("x-forwarded-for");
  if (xff) return xff.split(",")[0]!.trim();
  return undefined;
}
