/**
 * What OpenAI's `POST /v1/chat/completions` refuses with HTTP 400, as a pure function of the request
 * body, so the fake model fails a test wherever the real endpoint would fail the bot.
 *
 * Sources: OpenAI's API reference for chat completions and function calling (roles, content parts per
 * role, `tools`, `tool_choice`, "content is required unless tool_calls is specified") and the error
 * texts the endpoint returns, as quoted in public bug reports against clients that sent such requests.
 * Each rule's docstring names its error; where the wording could not be found, the docstring says so.
 */

/** The `message` and `param` of OpenAI's 400 error body. */
export interface Refusal {
  message: string;
  param: string | null;
}

type Json = Record<string, unknown>;

/** `tools[].function.name` and `tool_calls[].function.name`: OpenAI's documented pattern, at most 64 characters. */
const NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
const MAX_NAME_LENGTH = 64;
/** "Invalid 'tools': array too long. Expected an array with maximum length 128, …" */
const MAX_TOOLS = 128;
/**
 * "Invalid 'tools[0].function.description': string too long. Expected a string with maximum length 1024,
 * but got a string with length 1103 instead." (code string_above_max_length), as quoted in public bug
 * reports against MCP clients that passed a server's long description through.
 */
const MAX_DESCRIPTION_LENGTH = 1024;
/** `ChatCompletionRole` in the API reference. */
const ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer'];
/** Content part types each role accepts (API reference: tool, system and developer messages take text parts only). */
const PART_TYPES: Record<string, string[]> = {
  system: ['text'],
  developer: ['text'],
  tool: ['text'],
  assistant: ['text', 'refusal'],
  user: ['text', 'image_url', 'input_audio', 'file'],
};
/** Keywords OpenAI refuses at the root of a function's parameters. */
const ROOT_COMBINATORS = ['oneOf', 'anyOf', 'allOf', 'enum', 'not'];
/** Schema keywords whose values are data, not subschemas: a `$ref` key inside them is not a reference. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** How OpenAI names a JSON value's type in "expected …, but got … instead". */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'boolean') return 'a boolean';
  return 'a string';
}

/** "'a', 'b', and 'c'", as OpenAI lists supported values. */
function supported(values: string[]): string {
  const quoted = values.map((value) => `'${value}'`);
  if (quoted.length <= 2) return quoted.join(' and ');
  return `${quoted.slice(0, -1).join(', ')}, and ${quoted.at(-1)}`;
}

const missing = (param: string): Refusal => ({ message: `Missing required parameter: '${param}'.`, param });
const wrongType = (param: string, expected: string, value: unknown): Refusal => ({
  message: `Invalid type for '${param}': expected ${expected}, but got ${kindOf(value)} instead.`,
  param,
});
const unsupported = (param: string, value: unknown, values: string[]): Refusal => ({
  message: `Invalid value: '${String(value)}'. Supported values are: ${supported(values)}.`,
  param,
});
const emptyArray = (param: string): Refusal => ({
  message: `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
  param,
});
const emptyString = (param: string): Refusal => ({
  message: `Invalid '${param}': empty string. Expected a string with minimum length 1, but got an empty string instead.`,
  param,
});

/**
 * A function name as OpenAI checks it, in `tools` and in an assistant's `tool_calls` alike:
 * "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the
 * pattern '^[a-zA-Z0-9_-]+$'." and "… string too long. Expected a string with maximum length 64, …".
 */
function nameRefusal(name: unknown, param: string): Refusal | undefined {
  if (name === undefined) return missing(param);
  if (typeof name !== 'string') return wrongType(param, 'a string', name);
  if (name === '') return emptyString(param);
  if (name.length > MAX_NAME_LENGTH) {
    return { message: `Invalid '${param}': string too long. Expected a string with maximum length ${MAX_NAME_LENGTH}, but got a string with length ${name.length} instead.`, param };
  }
  if (!NAME_PATTERN.test(name)) {
    return { message: `Invalid '${param}': string does not match pattern. Expected a string that matches the pattern '${NAME_PATTERN.source}'.`, param };
  }
  return undefined;
}

/** The target of a local `$ref` ("#", "#/$defs/Name"), or undefined when nothing is there. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

/** The first local `$ref` under `node` that points nowhere, with the path to it. */
function unresolvedRef(root: Json, node: unknown, path: string[]): { ref: string; path: string[] } | undefined {
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) {
      const found = unresolvedRef(root, item, [...path, String(index)]);
      if (found) return found;
    }
    return undefined;
  }
  if (!isObject(node)) return undefined;
  const ref = node.$ref;
  if (typeof ref === 'string' && (ref === '#' || ref.startsWith('#/')) && resolvePointer(root, ref) === undefined) return { ref, path };
  for (const [key, value] of Object.entries(node)) {
    if (DATA_KEYWORDS.has(key)) continue;
    const found = unresolvedRef(root, value, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/** Python's tuple notation, which OpenAI's schema errors use for a location: ('properties', 'city'). */
const context = (path: string[]): string => `(${path.map((key) => `'${key}'`).join(', ')}${path.length === 1 ? ',' : ''})`;

/**
 * A function's `parameters` as OpenAI checks them:
 * - "Invalid schema for function 'f': schema must be a JSON Schema of 'type: \"object\"', got 'type: \"array\"'."
 *   (`"None"` when the root has no type);
 * - "Invalid schema for function 'f': schema must have type 'object' and not have
 *   'oneOf'/'anyOf'/'allOf'/'enum'/'not' at the top level.";
 * - a local `$ref` that resolves nowhere. OpenAI's exact text for this one was not found; the wording
 *   follows its other schema errors ("In context=(…), …").
 */
function schemaRefusal(name: string, schema: unknown, param: string): Refusal | undefined {
  const refuse = (problem: string): Refusal => ({ message: `Invalid schema for function '${name}': ${problem}`, param });
  if (!isObject(schema) && typeof schema !== 'boolean') return refuse(`${JSON.stringify(schema)} is not of type 'object', 'boolean'.`);
  const type = isObject(schema) ? schema.type : undefined;
  if (type !== 'object') return refuse(`schema must be a JSON Schema of 'type: "object"', got 'type: "${type === undefined ? 'None' : String(type)}"'.`);
  if (!isObject(schema)) return undefined;
  if (ROOT_COMBINATORS.some((keyword) => Object.hasOwn(schema, keyword))) {
    return refuse(`schema must have type 'object' and not have ${ROOT_COMBINATORS.map((keyword) => `'${keyword}'`).join('/')} at the top level.`);
  }
  const dangling = unresolvedRef(schema, schema, []);
  if (dangling) return refuse(`In context=${context(dangling.path)}, reference to component '${dangling.ref}' which was not found in the schema.`);
  return undefined;
}

/**
 * `messages` must be a non-empty array: "Invalid 'messages': empty array. Expected an array with
 * minimum length 1, but got an empty array instead."
 */
function messagesRefusal(body: Json): Refusal | undefined {
  if (body.messages === undefined) return missing('messages');
  if (!Array.isArray(body.messages)) return wrongType('messages', 'an array', body.messages);
  if (body.messages.length === 0) return emptyArray('messages');
  return undefined;
}

/**
 * `tools` and `tool_choice`:
 * - "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.";
 * - "Invalid 'tools': empty array. …" and "Invalid 'tools': array too long. Expected an array with maximum
 *   length 128, but got an array with length N instead.";
 * - each tool a `function` with a valid name and parameters (custom tools are not modelled: the bot sends none).
 */
function toolsRefusal(body: Json): Refusal | undefined {
  const { tools } = body;
  if (tools === undefined) {
    if (body.tool_choice === undefined) return undefined;
    return { message: "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", param: 'tool_choice' };
  }
  if (!Array.isArray(tools)) return wrongType('tools', 'an array', tools);
  if (tools.length === 0) return emptyArray('tools');
  if (tools.length > MAX_TOOLS) {
    return { message: `Invalid 'tools': array too long. Expected an array with maximum length ${MAX_TOOLS}, but got an array with length ${tools.length} instead.`, param: 'tools' };
  }
  for (const [index, tool] of tools.entries()) {
    const at = `tools[${index}]`;
    if (!isObject(tool)) return wrongType(at, 'an object', tool);
    if (tool.type !== 'function') return tool.type === undefined ? missing(`${at}.type`) : unsupported(`${at}.type`, tool.type, ['function']);
    if (!isObject(tool.function)) return tool.function === undefined ? missing(`${at}.function`) : wrongType(`${at}.function`, 'an object', tool.function);
    const badName = nameRefusal(tool.function.name, `${at}.function.name`);
    if (badName) return badName;
    const { description } = tool.function;
    if (typeof description === 'string' && description.length > MAX_DESCRIPTION_LENGTH) {
      const param = `${at}.function.description`;
      return { message: `Invalid '${param}': string too long. Expected a string with maximum length ${MAX_DESCRIPTION_LENGTH}, but got a string with length ${description.length} instead.`, param };
    }
    // Omitted parameters mean a function without arguments, which OpenAI accepts.
    if (tool.function.parameters === undefined) continue;
    const badSchema = schemaRefusal(String(tool.function.name), tool.function.parameters, `${at}.function.parameters`);
    if (badSchema) return badSchema;
  }
  return undefined;
}

/**
 * A message's `content`: a string or an array of parts of the types its role accepts
 * ("Invalid type for 'messages[1].content': expected one of a string or array of objects, but got an
 * object instead."; "Invalid value: 'image_url'. Supported values are: 'text'." for a part its role
 * does not take). Null where content is required: "Invalid value for 'content': expected a string, got null."
 */
function contentRefusal(message: Json, index: number): Refusal | undefined {
  const at = `messages[${index}].content`;
  const { content, role } = message;
  if (content === undefined) return missing(at);
  if (content === null) return { message: "Invalid value for 'content': expected a string, got null.", param: `messages.[${index}].content` };
  if (typeof content === 'string') return undefined;
  if (!Array.isArray(content)) return wrongType(at, 'one of a string or array of objects', content);
  const types = PART_TYPES[String(role)] ?? [];
  for (const [partIndex, part] of content.entries()) {
    const partAt = `${at}[${partIndex}]`;
    if (!isObject(part)) return wrongType(partAt, 'an object', part);
    if (part.type === undefined) return missing(`${partAt}.type`);
    if (!types.includes(String(part.type))) return unsupported(`${partAt}.type`, part.type, types);
    if (part.type === 'text' && typeof part.text !== 'string') return part.text === undefined ? missing(`${partAt}.text`) : wrongType(`${partAt}.text`, 'a string', part.text);
  }
  return undefined;
}

/**
 * An assistant's `tool_calls`: a non-empty array ("Invalid 'messages[1].tool_calls': empty array. …");
 * each call with a non-empty `id`, type `function`, a valid name and `arguments` as a string ("Invalid
 * type for 'messages[2].tool_calls[0].function.arguments': expected a string, but got an object
 * instead."). Ids must differ within one message: OpenAI's text for that case was not found; the
 * wording follows its duplicate `tool_call_id` error.
 */
function toolCallsRefusal(toolCalls: unknown, index: number): Refusal | undefined {
  const at = `messages[${index}].tool_calls`;
  if (!Array.isArray(toolCalls)) return wrongType(at, 'an array', toolCalls);
  if (toolCalls.length === 0) return emptyArray(at);
  const seen = new Set<string>();
  for (const [callIndex, call] of toolCalls.entries()) {
    const callAt = `${at}[${callIndex}]`;
    if (!isObject(call)) return wrongType(callAt, 'an object', call);
    if (call.id === undefined) return missing(`${callAt}.id`);
    if (typeof call.id !== 'string') return wrongType(`${callAt}.id`, 'a string', call.id);
    if (call.id === '') return emptyString(`${callAt}.id`);
    if (seen.has(call.id)) return { message: `Invalid parameter: Duplicate value for 'id' of '${call.id}' in '${at}'.`, param: `${callAt}.id` };
    seen.add(call.id);
    if (call.type !== 'function') return call.type === undefined ? missing(`${callAt}.type`) : unsupported(`${callAt}.type`, call.type, ['function']);
    if (!isObject(call.function)) return call.function === undefined ? missing(`${callAt}.function`) : wrongType(`${callAt}.function`, 'an object', call.function);
    const badName = nameRefusal(call.function.name, `${callAt}.function.name`);
    if (badName) return badName;
    const { arguments: args } = call.function;
    if (args === undefined) return missing(`${callAt}.function.arguments`);
    if (typeof args !== 'string') return wrongType(`${callAt}.function.arguments`, 'a string', args);
  }
  return undefined;
}

/**
 * One message on its own: a known role ("Invalid value: 'robot'. Supported values are: 'system',
 * 'assistant', 'user', 'function', 'tool', and 'developer'."); content as its role requires; an assistant
 * message with content or tool calls (API reference: content is "required unless tool_calls or
 * function_call is specified"); a tool message with its `tool_call_id` ("Missing parameter
 * 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.").
 */
function messageRefusal(message: unknown, index: number): Refusal | undefined {
  const at = `messages[${index}]`;
  if (!isObject(message)) return wrongType(at, 'an object', message);
  if (message.role === undefined) return missing(`${at}.role`);
  if (!ROLES.includes(String(message.role))) return unsupported(`${at}.role`, message.role, ROLES);
  if (message.role === 'function') return undefined;
  if (message.role === 'assistant') {
    if (message.tool_calls !== undefined && message.tool_calls !== null) {
      const badCalls = toolCallsRefusal(message.tool_calls, index);
      if (badCalls) return badCalls;
      return message.content === undefined || message.content === null ? undefined : contentRefusal(message, index);
    }
    return contentRefusal(message, index);
  }
  if (message.role === 'tool' && typeof message.tool_call_id !== 'string') {
    return { message: "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.", param: `messages.[${index}].tool_call_id` };
  }
  return contentRefusal(message, index);
}

/** The assistant message whose tool calls still await their `tool` replies. */
interface OpenCalls {
  index: number;
  ids: string[];
  answeredAt: Map<string, number>;
}

function unanswered(open: OpenCalls): Refusal | undefined {
  const ids = open.ids.filter((id) => !open.answeredAt.has(id));
  if (ids.length === 0) return undefined;
  return {
    message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${ids.join(', ')}`,
    param: `messages.[${open.index}].role`,
  };
}

/**
 * How tool messages pair with the assistant's tool calls before them (other tool messages may sit in between):
 * - "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'."
 * - "Invalid parameter: 'tool_call_id' of 'x' not found in 'tool_calls' of previous message."
 * - "Invalid parameter: Duplicate value for 'tool_call_id' of 'x', in messages[3] and messages[4]."
 * - "An assistant message with 'tool_calls' must be followed by tool messages responding to each
 *   'tool_call_id'. The following tool_call_ids did not have response messages: x"
 */
function pairingRefusal(messages: Json[]): Refusal | undefined {
  let open: OpenCalls | undefined;
  for (const [index, message] of messages.entries()) {
    if (message.role === 'tool') {
      const id = String(message.tool_call_id);
      if (!open) return { message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", param: `messages.[${index}].role` };
      if (!open.ids.includes(id)) return { message: `Invalid parameter: 'tool_call_id' of '${id}' not found in 'tool_calls' of previous message.`, param: `messages.[${index}].tool_call_id` };
      const earlier = open.answeredAt.get(id);
      if (earlier !== undefined) return { message: `Invalid parameter: Duplicate value for 'tool_call_id' of '${id}', in messages[${earlier}] and messages[${index}].`, param: `messages.[${index}].tool_call_id` };
      open.answeredAt.set(id, index);
      continue;
    }
    const notAnswered = open && unanswered(open);
    if (notAnswered) return notAnswered;
    const calls = message.role === 'assistant' && Array.isArray(message.tool_calls) ? (message.tool_calls as Json[]) : [];
    open = calls.length > 0 ? { index, ids: calls.map((call) => String(call.id)), answeredAt: new Map() } : undefined;
  }
  return open && unanswered(open);
}

/**
 * Why OpenAI's chat completions endpoint would answer this request body with HTTP 400, or undefined
 * when it would take it. The first problem found is reported, as the endpoint does.
 */
/** "The 'stream_options' parameter is only allowed when 'stream' is enabled." */
function streamOptionsRefusal(body: Json): Refusal | undefined {
  if (body.stream_options === undefined || body.stream_options === null || body.stream === true) return undefined;
  return { message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param: 'stream_options' };
}

export function refusalFor(body: unknown): Refusal | undefined {
  if (!isObject(body)) return { message: 'We could not parse the JSON body of your request.', param: null };
  const shape = messagesRefusal(body) ?? toolsRefusal(body) ?? streamOptionsRefusal(body);
  if (shape) return shape;
  const messages = body.messages as unknown[];
  for (const [index, message] of messages.entries()) {
    const refusal = messageRefusal(message, index);
    if (refusal) return refusal;
  }
  return pairingRefusal(messages as Json[]);
}
