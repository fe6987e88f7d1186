import { isJsonObject } from '../../shared/json-values.js';

/**
 * The shapes in which models write one tool call as a JSON value, and which of them can only be a
 * tool call. Sources: this bot's own protocol (`tool`), OpenAI's `tool_calls` items, Llama 3.x
 * (`name` + `parameters`), Hermes / Qwen / Mistral / xLAM / Granite / Jamba (`name` + `arguments`),
 * Command R (`tool_name` + `parameters`), ReAct agents (`action` + `action_input`), OpenAI's
 * `multi_tool_use.parallel` (`recipient_name`).
 */

/** A call as written, before its name is checked against the catalog or its arguments read. */
export interface RawCall {
  name: unknown;
  /** An object, JSON text, or absent. */
  arguments: unknown;
}

export interface CallShapes {
  calls: RawCall[];
  /**
   * True when the value can only be a tool call (`{"tool": …}`, an OpenAI `tool_calls` item): it is
   * then used or reported, never shown. False for shapes prose can hold too (`{"name": …}`), which
   * count only when every name is a tool in the catalog.
   */
  unmistakable: boolean;
}

const ARGUMENT_KEYS = ['arguments', 'parameters', 'args', 'input', 'action_input'] as const;

function argumentsOf(object: Record<string, unknown>): unknown {
  for (const key of ARGUMENT_KEYS) if (key in object) return object[key];
  return undefined;
}

function hasArguments(object: Record<string, unknown>): boolean {
  return ARGUMENT_KEYS.some((key) => key in object);
}

function objectShape(object: Record<string, unknown>): CallShapes | undefined {
  if ('tool' in object) return { calls: [{ name: object.tool, arguments: argumentsOf(object) }], unmistakable: true };
  if (Array.isArray(object.tool_calls)) return { ...arrayShape(object.tool_calls), unmistakable: true };
  if (Array.isArray(object.tool_uses)) return { ...arrayShape(object.tool_uses), unmistakable: true };
  if (isJsonObject(object.function)) {
    const call = { name: object.function.name, arguments: argumentsOf(object.function) };
    return { calls: [call], unmistakable: object.type === 'function' };
  }
  const name = object.name ?? object.tool_name ?? object.recipient_name ?? object.action ?? object.function;
  if (typeof name !== 'string') return undefined;
  // A lone `{"name": …}` is a call only when it is all the model said; see `readReply`.
  if (!hasArguments(object) && Object.keys(object).some((key) => key !== 'name' && key !== 'id' && key !== 'type')) return undefined;
  return { calls: [{ name, arguments: argumentsOf(object) }], unmistakable: false };
}

function arrayShape(items: unknown[]): CallShapes {
  const shapes = items.map((item) => (isJsonObject(item) ? objectShape(item) : undefined));
  if (items.length === 0 || shapes.some((shape) => shape === undefined)) return { calls: [], unmistakable: false };
  const defined = shapes as CallShapes[];
  return { calls: defined.flatMap((shape) => shape.calls), unmistakable: defined.some((shape) => shape.unmistakable) };
}

/** The tool calls a JSON value holds, if it has the shape of one or of a list of them. */
export function callShapes(value: unknown): CallShapes | undefined {
  if (Array.isArray(value)) {
    const shapes = arrayShape(value);
    return shapes.calls.length > 0 ? shapes : undefined;
  }
  return isJsonObject(value) ? objectShape(value) : undefined;
}
