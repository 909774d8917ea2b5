import type { ResponseFormat } from "./ir.ts";
import { isObj, str } from "./json.ts";

/** OpenAI structured output: chat's `response_format` nests the schema in `json_schema`, Responses' `text.format` does not. */
export function responseFormat(v: unknown): ResponseFormat | undefined {
  if (!isObj(v)) return undefined;
  if (v.type === "json_object") return { type: "json_object" };
  if (v.type !== "json_schema") return undefined;
  const js = isObj(v.json_schema) ? v.json_schema : v;
  return { type: "json_schema", name: str(js.name), schema: isObj(js.schema) ? js.schema : undefined, strict: js.strict === true || undefined };
}
