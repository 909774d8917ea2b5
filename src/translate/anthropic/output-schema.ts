import { isObj, type Obj } from "../json.ts";

/** String formats Claude's constrained decoding enforces; others become a hint in the description. */
const FORMATS = new Set(["date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"]);
/** Keywords Claude's structured output takes as they are (per the schema's type below). */
const KEPT = new Set(["type", "description", "title", "enum", "const", "$ref", "$defs", "anyOf", "allOf", "properties", "required", "items", "additionalProperties", "$schema"]);

const primitive = (v: unknown) => v === null || typeof v !== "object";

/**
 * A JSON schema as Claude's structured output accepts it, the way Anthropic's SDKs prepare one:
 * objects closed (`additionalProperties: false`), `oneOf` read as `anyOf`, and constraints it
 * cannot enforce (lengths, bounds, patterns, unknown formats) moved into the description, so the
 * model still sees them. OpenAI strict schemas pass unchanged apart from that.
 */
export function anthropicSchema(schema: Obj): Obj {
  const out: Obj = {};
  const hints: string[] = [];
  if (isObj(schema.$defs)) out.$defs = Object.fromEntries(Object.entries(schema.$defs).map(([k, v]) => [k, isObj(v) ? anthropicSchema(v) : v]));
  if (typeof schema.$ref === "string") return { ...out, $ref: schema.$ref };
  const literal = (Array.isArray(schema.enum) && schema.enum.every(primitive)) || (schema.const !== undefined && primitive(schema.const));
  if (Array.isArray(schema.enum)) out.enum = schema.enum;
  if (schema.const !== undefined) out.const = schema.const;
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (variants) out.anyOf = variants.map((v) => (isObj(v) ? anthropicSchema(v) : v));
  else if (Array.isArray(schema.allOf)) out.allOf = schema.allOf.map((v) => (isObj(v) ? anthropicSchema(v) : v));
  else if (!literal && schema.type !== undefined) out.type = schema.type;
  if (typeof schema.title === "string") out.title = schema.title;
  const type = out.type;
  if (type === "object") {
    const props = isObj(schema.properties) ? schema.properties : {};
    out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, isObj(v) ? anthropicSchema(v) : v]));
    out.additionalProperties = false;
    if (Array.isArray(schema.required)) out.required = schema.required;
  } else if (type === "array" && isObj(schema.items)) {
    out.items = anthropicSchema(schema.items);
  }
  for (const [k, v] of Object.entries(schema)) {
    if (k === "format" && type === "string" && typeof v === "string" && FORMATS.has(v)) out.format = v;
    else if (k === "minItems" && type === "array" && (v === 0 || v === 1)) out.minItems = v;
    else if (!KEPT.has(k) && k !== "oneOf") hints.push(`${k}: ${JSON.stringify(v)}`);
  }
  const description = typeof schema.description === "string" ? schema.description : undefined;
  if (description !== undefined || hints.length) {
    out.description = [description, hints.length ? `{${hints.join(", ")}}` : undefined].filter(Boolean).join("\n\n");
  }
  return out;
}
