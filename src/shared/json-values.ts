/** A JSON object (not null, not an array): what a model, an endpoint or an MCP server sent where an object belongs. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A value's kind for an error message: `null`, `an array`, `a string`, `a number`… */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
