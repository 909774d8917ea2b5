import { GatewayError } from "../../errors.ts";

/** Python's `repr` of a string: single quotes unless the text holds one and no double quote. */
export function pyRepr(text: string): string {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'";
  return q + text.replace(/\\/g, "\\\\").replaceAll(q, `\\${q}`) + q;
}

/** Python's `str()` of a list of strings, as LiteLLM's messages print them. */
export const pyList = (xs: string[]) => `[${xs.map(pyRepr).join(", ")}]`;

/** A value as an f-string prints it: `None` for nothing. */
export const py = (v: unknown) => (v === undefined || v === null ? "None" : String(v));

/** An `HTTPException` detail: a plain string, or `{"error": …}` which LiteLLM prints as the Python dict. */
export type Detail = string | { error: string };

export const detailText = (d: Detail) => (typeof d === "string" ? d : `{'error': ${pyRepr(d.error)}}`);

/** `HTTPException` re-raised by `handle_exception_on_proxy` (key generate/delete/regenerate, team new): type `internal_server_error`. */
export const proxyHttpError = (status: number, d: Detail) => new GatewayError(status, detailText(d), { type: "internal_server_error", param: "None" });

/** `HTTPException` re-raised as `ProxyException(type=auth_error)` (key update, team info, user update, model routes). */
export const authHttpError = (status: number, d: Detail) => new GatewayError(status, detailText(d), { type: "auth_error", param: "None" });

/** A `ProxyException` LiteLLM raises itself, with its own type and param. */
export const proxyException = (status: number, message: string, type: string, param: string | null = "None") => new GatewayError(status, message, { type, param });

/** A float as Python prints it (`-100.0`, `2.5`). */
export const pyFloat = (n: number) => (Number.isInteger(n) ? `${n}.0` : String(n));
