import { describe, expect, it } from 'vitest';
import { ArgumentValidator } from '../../src/engine/argument-validator.js';
import { functionParameters } from '../../src/llm/function-parameters.js';
import type { JsonSchema } from '../../src/mcp/types.js';
import { refusalFor } from '../fakes/openai-request-rules.js';

/** The request OpenAI would get with this one tool. */
function requestWith(parameters: JsonSchema) {
  return { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'tool', parameters } }] };
}

const CREATE_OR_DELETE: JsonSchema = {
  type: 'object',
  oneOf: [
    { properties: { action: { const: 'create' }, name: { type: 'string' } }, required: ['action', 'name'] },
    { properties: { action: { const: 'delete' }, id: { type: 'string' } }, required: ['action', 'id'] },
  ],
};

/** Schemas published MCP servers send that OpenAI refuses as they are. */
const ODD_SCHEMAS: [string, JsonSchema][] = [
  ['oneOf at the root', CREATE_OR_DELETE],
  ['anyOf at the root, no type', { anyOf: [{ type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }, { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] }] }],
  ['allOf at the root', { allOf: [{ type: 'object', properties: { a: { type: 'number' } }, required: ['a'] }, { properties: { b: { type: 'number' } }, required: ['b'] }] }],
  ['a $ref at the root (pydantic)', { $ref: '#/$defs/Query', $defs: { Query: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } }],
  ['a $ref that resolves nowhere', { type: 'object', properties: { item: { $ref: '#/definitions/Missing' } } }],
  ['enum at the root', { type: 'object', enum: [{ a: 1 }], properties: { a: { type: 'number' } } }],
  ['not at the root', { type: 'object', not: { required: ['x'] }, properties: { x: { type: 'string' } } }],
  ['no type, only properties', { properties: { a: { type: 'string' } } }],
  ['a type list with null', { type: ['object', 'null'], properties: { a: { type: 'string' } } }],
  ['nothing at all', {}],
  ['a root that is not an object', { type: 'string' }],
];

describe('tool parameters as an OpenAI-compatible endpoint accepts them', () => {
  it.each(ODD_SCHEMAS)('OpenAI refuses %s as it is, and accepts it converted', (_case, schema) => {
    expect(refusalFor(requestWith(schema))).toBeDefined();
    expect(refusalFor(requestWith(functionParameters(schema)))).toBeUndefined();
  });

  it('keeps a schema OpenAI accepts as it was', () => {
    const schema: JsonSchema = { type: 'object', properties: { a: { type: 'number', description: 'first' } }, required: ['a'], additionalProperties: false };
    expect(functionParameters(schema)).toEqual(schema);
  });

  it('folds variants into one object that still tells the model which arguments go together', () => {
    const folded = functionParameters(CREATE_OR_DELETE);
    expect(folded.properties).toEqual({ action: { type: 'string', enum: ['create', 'delete'] }, name: { type: 'string' }, id: { type: 'string' } });
    expect(folded.required).toEqual(['action']);
    expect(folded.description).toBe('one of these sets: 1) action = "create", name; 2) action = "delete", id');
  });

  it('leaves the server schema to judge the arguments the model sends for a folded tool', () => {
    const validator = new ArgumentValidator();
    const tool = { name: 'mutate', server: 's', toolName: 'mutate', description: '', inputSchema: CREATE_OR_DELETE };
    expect(validator.check(tool, { action: 'create', name: 'x' })).toBeUndefined();
    expect(validator.check(tool, { action: 'create', id: 'x' })).toBeDefined();
  });

  it('replaces a remote $ref, which no endpoint fetches, with an open schema that says so', () => {
    const converted = functionParameters({ type: 'object', properties: { item: { $ref: 'https://example.com/schema.json' } } });
    expect(converted.properties?.item).toEqual({ description: '(schema https://example.com/schema.json not available)' });
  });

  it('keeps $defs so references below the root still resolve', () => {
    const schema: JsonSchema = { type: 'object', properties: { item: { $ref: '#/$defs/Item' } }, $defs: { Item: { type: 'object', properties: { n: { type: 'integer' } } } } };
    expect(functionParameters(schema)).toEqual(schema);
  });
});
