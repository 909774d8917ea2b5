/**
 * A value that follows a JSON schema, the way a model under structured output would answer:
 * every property filled, the first enum value or variant, strings "text", numbers 1.
 * Fakes answer structured-output requests with it, so a test can tell which schema arrived.
 */
type Schema = Record<string, unknown>;

const isSchema = (v: unknown): v is Schema => typeof v === "object" && v !== null && !Array.isArray(v);

export function sampleFor(schema: unknown, root: Schema = isSchema(schema) ? schema : {}): unknown {
  if (!isSchema(schema)) return null;
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.split("/").pop()!;
    const defs = (root.$defs ?? root.definitions) as Schema | undefined;
    return sampleFor(defs?.[name], root);
  }
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const variants = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
  if (Array.isArray(variants)) return sampleFor(variants.find((v) => isSchema(v) && v.type !== "null") ?? variants[0], root);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type ?? (isSchema(schema.properties) ? "object" : undefined)) {
    case "object": {
      const props = isSchema(schema.properties) ? schema.properties : {};
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props)) out[k] = sampleFor(v, root);
      if (!Object.keys(props).length && schema.additionalProperties !== false) out.answer = "json";
      return out;
    }
    case "array":
      return [sampleFor(schema.items, root)];
    case "string":
      return schema.format === "date" ? "2024-01-01" : "text";
    case "integer":
      return 1;
    case "number":
      return 1.5;
    case "boolean":
      return true;
    default:
      return null;
  }
}
