// Gemini's `parameters` / `responseSchema` are an OpenAPI 3.0 Schema subset with upper-case type
// names ("OBJECT", "STRING") and `nullable` (gemini.md §2); Gemini CLI even writes those names
// inside `responseJsonSchema` (docs/clients/gemini-cli.md G-5). Other dialects take JSON Schema, so
// the front lowers the type names and turns `nullable: true` into a type union. Property names and
// every other keyword are left as they are.

const OPENAPI_TYPES = new Set(['STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL', 'TYPE_UNSPECIFIED']);
/** Keywords whose value is a map from names to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions']);
/** Keywords whose value is one schema. */
const SCHEMA_VALUES = new Set(['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames']);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LISTS = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);

/** A JSON Schema equivalent of an OpenAPI-subset (or already JSON) schema; the input is not changed. */
export function toJsonSchema(schema: unknown): Record<string, unknown> {
  const out = lower(schema);
  return typeof out === 'object' && out !== null && !Array.isArray(out) ? (out as Record<string, unknown>) : {};
}

function lower(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    if (key === 'type') out.type = lowerType(value);
    else if (key === 'nullable') continue;
    else if (SCHEMA_MAPS.has(key) && isObject(value)) {
      const map: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(value)) map[name] = lower(sub);
      out[key] = map;
    } else if (SCHEMA_VALUES.has(key)) out[key] = lower(value);
    else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) out[key] = value.map(lower);
    else out[key] = value;
  }
  const record = schema as Record<string, unknown>;
  if (record.nullable === true) {
    const t = out.type;
    if (typeof t === 'string' && t !== 'null') out.type = [t, 'null'];
    else if (Array.isArray(t) && !t.includes('null')) out.type = [...t, 'null'];
    else if (t === undefined && Array.isArray(out.anyOf)) out.anyOf = [...out.anyOf, { type: 'null' }];
  }
  if (out.type === 'type_unspecified') delete out.type;
  return out;
}

function lowerType(value: unknown): unknown {
  if (typeof value === 'string') return OPENAPI_TYPES.has(value) ? value.toLowerCase() : value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' && OPENAPI_TYPES.has(v) ? v.toLowerCase() : v));
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
