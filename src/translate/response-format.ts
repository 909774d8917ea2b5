import type { ResponseFormat } from "./ir.ts";
import { isObj, obj, str, type Obj } from "./json.ts";

/** What a schema is called upstream when the client gave it no name (LiteLLM's choice). */
export const DEFAULT_FORMAT_NAME = "structured_output";

/** OpenAI structured output: chat's `response_format` nests the schema in `json_schema`, Responses' `text.format` does not. */
export function responseFormat(v: unknown): ResponseFormat | undefined {
  if (!isObj(v)) return undefined;
  if (v.type === "json_object") return { type: "json_object" };
  if (v.type !== "json_schema") return undefined;
  const js = isObj(v.json_schema) ? v.json_schema : v;
  return { type: "json_schema", name: str(js.name), schema: isObj(js.schema) ? js.schema : undefined, strict: js.strict === true || undefined };
}

/** Anthropic structured output: `output_config.format`, or the beta's top-level `output_format`. Always enforced. */
export function anthropicOutputFormat(body: Obj): ResponseFormat | undefined {
  const f = isObj(obj(body.output_config).format) ? obj(obj(body.output_config).format) : obj(body.output_format);
  if (f.type !== "json_schema" || !isObj(f.schema)) return undefined;
  return { type: "json_schema", schema: f.schema, strict: true };
}
