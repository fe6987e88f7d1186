import type { JsonSchema } from '../mcp/types.js';

/** A value a schema accepts: its default, its first choice, or a plain value of its type. */
function sampleValue(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return 'test';
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return sampleObject(schema);
    default:
      return null;
  }
}

/** Every required property, and every optional one with a default. */
export function sampleObject(schema: JsonSchema): Record<string, unknown> {
  const required = new Set(schema.required ?? []);
  const entries = Object.entries(schema.properties ?? {}).filter(([name, property]) => required.has(name) || property.default !== undefined);
  return Object.fromEntries(entries.map(([name, property]) => [name, sampleValue(property)]));
}
