import { describe, expect, it } from 'vitest';
import { describeTool } from '../../src/engine/system-prompt.js';
import type { CatalogTool, JsonSchema } from '../../src/mcp/types.js';

const tool = (inputSchema: JsonSchema): CatalogTool => ({ name: 'create_entities', server: 'memory', toolName: 'create_entities', description: 'Create entities.', inputSchema });

describe('tools as the JSON-mode prompt describes them', () => {
  it('spells out the fields of objects inside arguments, optional ones marked, so the model need not guess them', () => {
    const entity: JsonSchema = { type: 'object', properties: { name: { type: 'string' }, entityType: { type: 'string' }, observations: { type: 'array', items: { type: 'string' } } }, required: ['name', 'entityType'] };
    const text = describeTool(tool({ type: 'object', properties: { entities: { type: 'array', items: entity } }, required: ['entities'] }));
    expect(text).toContain('- entities [array of object {name: string, entityType: string, observations?: array of string}] (required)');
  });

  it('stops spelling out fields two objects deep', () => {
    const deep: JsonSchema = { type: 'object', properties: { inner: { type: 'object', properties: { innermost: { type: 'object', properties: { x: { type: 'string' } } } } } } };
    expect(describeTool(tool({ type: 'object', properties: { outer: deep } }))).toContain('- outer [object {inner?: object {innermost?: object}}]');
  });
});
