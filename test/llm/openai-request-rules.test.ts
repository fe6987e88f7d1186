import { describe, expect, it } from 'vitest';
import { refusalFor } from '../fakes/openai-request-rules.js';

type Message = Record<string, unknown>;

const user: Message = { role: 'user', content: 'hi' };
const call = (id: string, args: unknown = '{"a":1}', name = 'add') => ({ id, type: 'function', function: { name, arguments: args } });
const asking = (...calls: unknown[]): Message => ({ role: 'assistant', content: null, tool_calls: calls });
const answer = (id: string, content: unknown = '5'): Message => ({ role: 'tool', tool_call_id: id, content });
const tool = (name: string, parameters: unknown = { type: 'object', properties: { a: { type: 'number' } } }) => ({ type: 'function', function: { name, description: 'd', parameters } });
const body = (messages: Message[], extra: Record<string, unknown> = {}) => ({ model: 'm', messages, ...extra });
const withTools = (...tools: unknown[]) => body([user], { tools });

interface Case {
  rule: string;
  accepted: unknown;
  refused: unknown;
  message: string;
  param: string | null;
}

const cases: Case[] = [
  {
    rule: 'stream_options only with stream: true',
    accepted: body([user], { stream: true, stream_options: { include_usage: true } }),
    refused: body([user], { stream_options: { include_usage: true } }),
    message: "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    param: 'stream_options',
  },
  {
    rule: 'messages is a non-empty array',
    accepted: body([user]),
    refused: body([]),
    message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    param: 'messages',
  },
  {
    rule: 'a tool name matches ^[a-zA-Z0-9_-]+$',
    accepted: withTools(tool('read_file-2')),
    refused: withTools(tool('read_file-2'), tool('files.read')),
    message: "Invalid 'tools[1].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
    param: 'tools[1].function.name',
  },
  {
    rule: 'a tool description has at most 1024 characters',
    accepted: body([user], { tools: [{ type: 'function', function: { name: 'a', description: 'd'.repeat(1024) } }] }),
    refused: body([user], { tools: [{ type: 'function', function: { name: 'a', description: 'd'.repeat(1025) } }] }),
    message: "Invalid 'tools[0].function.description': string too long. Expected a string with maximum length 1024, but got a string with length 1025 instead.",
    param: 'tools[0].function.description',
  },
  {
    rule: 'a tool name has at most 64 characters',
    accepted: withTools(tool('a'.repeat(64))),
    refused: withTools(tool('a'.repeat(65))),
    message: "Invalid 'tools[0].function.name': string too long. Expected a string with maximum length 64, but got a string with length 65 instead.",
    param: 'tools[0].function.name',
  },
  {
    rule: 'parameters have type object at the root',
    accepted: withTools(tool('list', { type: 'object', properties: { items: { type: 'array', items: { type: 'string' } } } })),
    refused: withTools(tool('list', { type: 'array', items: { type: 'string' } })),
    message: `Invalid schema for function 'list': schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.`,
    param: 'tools[0].function.parameters',
  },
  {
    rule: 'parameters without a root type',
    accepted: withTools({ type: 'function', function: { name: 'ping' } }),
    refused: withTools(tool('ping', { properties: {} })),
    message: `Invalid schema for function 'ping': schema must be a JSON Schema of 'type: "object"', got 'type: "None"'.`,
    param: 'tools[0].function.parameters',
  },
  ...['anyOf', 'oneOf', 'allOf', 'enum', 'not'].map(
    (keyword): Case => ({
      rule: `no top-level ${keyword}`,
      accepted: withTools(tool('pick', { type: 'object', properties: { choice: { [keyword]: [{ type: 'string' }] } } })),
      refused: withTools(tool('pick', { type: 'object', [keyword]: [{ required: ['a'] }] })),
      message: "Invalid schema for function 'pick': schema must have type 'object' and not have 'oneOf'/'anyOf'/'allOf'/'enum'/'not' at the top level.",
      param: 'tools[0].function.parameters',
    }),
  ),
  {
    rule: 'a local $ref resolves',
    accepted: withTools(tool('place', { type: 'object', properties: { city: { $ref: '#/$defs/City' } }, $defs: { City: { type: 'string' } } })),
    refused: withTools(tool('place', { type: 'object', properties: { city: { $ref: '#/$defs/City' } } })),
    message: "Invalid schema for function 'place': In context=('properties', 'city'), reference to component '#/$defs/City' which was not found in the schema.",
    param: 'tools[0].function.parameters',
  },
  {
    rule: 'tools is not empty',
    accepted: body([user]),
    refused: withTools(),
    message: "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    param: 'tools',
  },
  {
    rule: 'at most 128 tools',
    accepted: withTools(...Array.from({ length: 128 }, (_, index) => tool(`t${index}`))),
    refused: withTools(...Array.from({ length: 129 }, (_, index) => tool(`t${index}`))),
    message: "Invalid 'tools': array too long. Expected an array with maximum length 128, but got an array with length 129 instead.",
    param: 'tools',
  },
  {
    rule: 'tool_choice only with tools',
    accepted: body([user], { tools: [tool('add')], tool_choice: 'auto' }),
    refused: body([user], { tool_choice: 'auto' }),
    message: "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
    param: 'tool_choice',
  },
  {
    rule: 'a tool message follows an assistant message with tool_calls',
    accepted: body([user, asking(call('c1'), call('c2')), answer('c2'), answer('c1'), { role: 'assistant', content: 'done' }]),
    refused: body([user, { role: 'assistant', content: 'let me see' }, answer('c1')]),
    message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
    param: 'messages.[2].role',
  },
  {
    rule: 'a tool message answers an id of those tool_calls',
    accepted: body([user, asking(call('c1')), answer('c1')]),
    refused: body([user, asking(call('c1')), answer('x')]),
    message: "Invalid parameter: 'tool_call_id' of 'x' not found in 'tool_calls' of previous message.",
    param: 'messages.[2].tool_call_id',
  },
  {
    rule: 'an id is answered once',
    accepted: body([user, asking(call('c1'), call('c2')), answer('c1'), answer('c2')]),
    refused: body([user, asking(call('c1'), call('c2')), answer('c1'), answer('c1')]),
    message: "Invalid parameter: Duplicate value for 'tool_call_id' of 'c1', in messages[2] and messages[3].",
    param: 'messages.[3].tool_call_id',
  },
  {
    rule: 'every tool call id gets its tool reply before the next message',
    accepted: body([user, asking(call('c1'), call('c2')), answer('c1'), answer('c2'), user]),
    refused: body([user, asking(call('c1'), call('c2')), answer('c1'), user]),
    message:
      "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: c2",
    param: 'messages.[1].role',
  },
  {
    rule: 'every tool call id gets its tool reply, also at the end of the messages',
    accepted: body([user, asking(call('c1')), answer('c1')]),
    refused: body([user, asking(call('c1'))]),
    message:
      "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: c1",
    param: 'messages.[1].role',
  },
  {
    rule: 'a tool call id is not empty',
    accepted: body([user, asking(call('c1')), answer('c1')]),
    refused: body([user, asking(call('')), answer('')]),
    message: "Invalid 'messages[1].tool_calls[0].id': empty string. Expected a string with minimum length 1, but got an empty string instead.",
    param: 'messages[1].tool_calls[0].id',
  },
  {
    rule: 'tool call ids differ within one assistant message',
    accepted: body([user, asking(call('c1'), call('c2')), answer('c1'), answer('c2')]),
    refused: body([user, asking(call('c1'), call('c1')), answer('c1')]),
    message: "Invalid parameter: Duplicate value for 'id' of 'c1' in 'messages[1].tool_calls'.",
    param: 'messages[1].tool_calls[1].id',
  },
  {
    rule: 'tool call arguments are a string',
    accepted: body([user, asking(call('c1', '{"a":1}')), answer('c1')]),
    refused: body([user, asking(call('c1', { a: 1 })), answer('c1')]),
    message: "Invalid type for 'messages[1].tool_calls[0].function.arguments': expected a string, but got an object instead.",
    param: 'messages[1].tool_calls[0].function.arguments',
  },
  {
    rule: 'a tool call in the history has a valid name',
    accepted: body([user, asking(call('c1', '{}', 'files__read')), answer('c1')]),
    refused: body([user, asking(call('c1', '{}', 'files/read')), answer('c1')]),
    message: "Invalid 'messages[1].tool_calls[0].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
    param: 'messages[1].tool_calls[0].function.name',
  },
  {
    rule: 'tool_calls, when present, is not empty',
    accepted: body([user, { role: 'assistant', content: 'hello' }]),
    refused: body([user, { role: 'assistant', content: 'hello', tool_calls: [] }]),
    message: "Invalid 'messages[1].tool_calls': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    param: 'messages[1].tool_calls',
  },
  {
    rule: 'an assistant message has content or tool calls',
    accepted: body([user, { role: 'assistant', content: '' }, user]),
    refused: body([user, { role: 'assistant', content: null }, user]),
    message: "Invalid value for 'content': expected a string, got null.",
    param: 'messages.[1].content',
  },
  {
    rule: 'an assistant message without content at all',
    accepted: body([user, asking(call('c1')), answer('c1')]),
    refused: body([user, { role: 'assistant' }, user]),
    message: "Missing required parameter: 'messages[1].content'.",
    param: 'messages[1].content',
  },
  {
    rule: 'a known role',
    accepted: body([{ role: 'developer', content: 'be brief' }, user]),
    refused: body([{ role: 'bot', content: 'be brief' }, user]),
    message: "Invalid value: 'bot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
    param: 'messages[0].role',
  },
  {
    rule: 'a user message has content',
    accepted: body([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]),
    refused: body([{ role: 'user', content: null }]),
    message: "Invalid value for 'content': expected a string, got null.",
    param: 'messages.[0].content',
  },
  {
    rule: 'content is a string or an array of parts',
    accepted: body([{ role: 'system', content: 'be brief' }, user]),
    refused: body([{ role: 'system', content: { text: 'be brief' } }, user]),
    message: "Invalid type for 'messages[0].content': expected one of a string or array of objects, but got an object instead.",
    param: 'messages[0].content',
  },
  {
    rule: 'a tool message takes text parts only',
    accepted: body([user, asking(call('c1')), answer('c1', [{ type: 'text', text: '5' }])]),
    refused: body([user, asking(call('c1')), answer('c1', [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }])]),
    message: "Invalid value: 'image_url'. Supported values are: 'text'.",
    param: 'messages[2].content[0].type',
  },
  {
    rule: 'a tool message has content',
    accepted: body([user, asking(call('c1')), answer('c1', '')]),
    refused: body([user, asking(call('c1')), answer('c1', null)]),
    message: "Invalid value for 'content': expected a string, got null.",
    param: 'messages.[2].content',
  },
  {
    rule: 'a tool message names the call it answers',
    accepted: body([user, asking(call('c1')), answer('c1')]),
    refused: body([user, asking(call('c1')), { role: 'tool', content: '5' }]),
    message: "Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.",
    param: 'messages.[2].tool_call_id',
  },
];

describe("OpenAI's chat completions request rules", () => {
  it.each(cases)('$rule', ({ accepted, refused, message, param }) => {
    expect(refusalFor(accepted)).toBeUndefined();
    expect(refusalFor(refused)).toEqual({ message, param });
  });
});
