import { GatewayError } from "../errors.ts";
import { isDataError } from "./client.ts";

interface PgError {
  code: string;
  message: string;
  detail?: string;
  column_name?: string;
}

const FK_DETAIL = /^Key \((.+?)\)=\((.*)\) is not present in table "(.+?)"/;
const UNIQUE_DETAIL = /^Key \((.+?)\)=\((.*)\) already exists/;

/**
 * What a client did wrong, when Postgres refused the values of its request: a value of the wrong
 * type or range for a column (SQLSTATE 22: 422, as FastAPI answers a pydantic type error), a
 * reference to a row that does not exist (23503: 400), a duplicate (23505: 400), a missing value
 * (23502: 422), a value too large (54: 400).
 * Anything else is not the client's fault: undefined.
 */
export function clientErrorOf(e: unknown): GatewayError | undefined {
  if (!isDataError(e)) return undefined;
  const pg = e as PgError;
  const param = pg.column_name ?? null;
  if (pg.code.startsWith("22")) return new GatewayError(422, `Invalid value in the request: ${pg.message}`, { type: "bad_request_error", param });
  if (pg.code === "23502") return new GatewayError(422, `${param ?? "a required field"} is required`, { type: "bad_request_error", param });
  if (pg.code === "23503") {
    const m = FK_DETAIL.exec(pg.detail ?? "");
    const what = m ? `${m[1]}=${m[2]} does not exist (${m[3]})` : pg.detail ?? pg.message;
    return new GatewayError(400, `Invalid reference: ${what}`, { type: "bad_request_error", param: m?.[1] ?? param });
  }
  if (pg.code === "23505") {
    const m = UNIQUE_DETAIL.exec(pg.detail ?? "");
    return new GatewayError(400, m ? `${m[1]}=${m[2]} already exists` : pg.message, { type: "bad_request_error", param: m?.[1] ?? param });
  }
  if (pg.code.startsWith("54")) return new GatewayError(400, `A value in the request is too large: ${pg.message}`, { type: "bad_request_error", param });
  return new GatewayError(400, pg.message, { type: "bad_request_error", param });
}
