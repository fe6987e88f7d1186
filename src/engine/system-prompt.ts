import { functionParameters } from '../llm/function-parameters.js';
import type { CatalogTool, JsonSchema } from '../mcp/types.js';

/** How deep the fields of nested objects are spelled out; deeper ones are just "object". */
const NESTED_FIELDS_DEPTH = 2;

/** The fields of an object argument, `{name: string, tags?: array of string}`, so the model need not guess them. */
function fieldsOf(schema: JsonSchema, depth: number): string {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([name, property]) => `${name}${required.has(name) ? '' : '?'}: ${typeOf(property, depth + 1)}`);
  return `{${fields.join(', ')}}`;
}

function typeOf(schema: JsonSchema, depth = 0): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((value) => JSON.stringify(value)).join(', ')}`;
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  if (type === 'array' && schema.items) return `array of ${typeOf(schema.items, depth)}`;
  if (type === 'object' && schema.properties && Object.keys(schema.properties).length > 0 && depth < NESTED_FIELDS_DEPTH) return `object ${fieldsOf(schema, depth)}`;
  return type ?? 'any';
}

function describeArguments(schema: JsonSchema): string {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return '    (no arguments)';
  const required = new Set(schema.required ?? []);
  return properties
    .map(([name, property]) => {
      const flag = required.has(name) ? ' (required)' : '';
      const description = property.description ? `: ${property.description}` : '';
      const fallback = property.default !== undefined ? ` (default ${JSON.stringify(property.default)})` : '';
      return `    - ${name} [${typeOf(property)}]${flag}${description}${fallback}`;
    })
    .join('\n');
}

/** One tool as the JSON-mode prompt lists it: name, description, and its arguments one a line. */
export function describeTool(tool: CatalogTool): string {
  // The same view of the arguments native mode sends: variants folded into one list, described in words.
  const parameters = functionParameters(tool.inputSchema);
  const note = parameters.description ? ` (${parameters.description})` : '';
  return `- ${tool.name}: ${tool.description || '(no description)'}\n  Arguments${note}:\n${describeArguments(parameters)}`;
}

const BASE =
  'You are a helpful assistant in a team chat. Answer concisely in Markdown. In shared channels several people may talk to you: each of their messages starts with its author\'s name in brackets, like [Ada]; your answers carry no such tag.';

/** The JSON-mode protocol: the offered tools in words (each as `describeTool` writes it), and the shape of a tool call. */
export function jsonModeSystemPrompt(toolTexts: readonly string[]): string {
  if (toolTexts.length === 0) return `${BASE} No tools are available right now; answer from what you know.`;
  return `${BASE}

You can use these tools:
${toolTexts.join('\n')}

To use a tool, reply with exactly this JSON object and nothing else (for several tools at once, one such object per line):
{"tool": "<tool name>", "arguments": {<argument name>: <value>}}
You will get each result in the next messages and may then use another tool or answer.
When you have what you need, or need no tool, answer the user in plain language (never in JSON).`;
}

export function nativeModeSystemPrompt(tools: CatalogTool[]): string {
  return tools.length === 0 ? `${BASE} No tools are available right now; answer from what you know.` : `${BASE} Use the provided tools when they help.`;
}
