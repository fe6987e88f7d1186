import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/client';
import { CallToolResultSchema, ContentBlockSchema } from '@modelcontextprotocol/core';
import { isJsonObject, jsonKind } from '../shared/json-values.js';

/** How much of an unsupported content block the model gets to read. */
const MAX_QUOTED = 300;

function quoted(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > MAX_QUOTED ? `${json.slice(0, MAX_QUOTED)}…` : json;
}

/** A block that is not MCP content: its text when it has one, else a description the model can read. */
function unsupported(block: unknown): ContentBlock {
  if (isJsonObject(block) && typeof block.text === 'string') return { type: 'text', text: block.text };
  const type = isJsonObject(block) && typeof block.type === 'string' ? ` "${block.type}"` : '';
  return { type: 'text', text: `[unsupported content${type}: ${quoted(block)}]` };
}

function readContent(content: unknown, problems: string[]): ContentBlock[] {
  if (content === undefined) return [];
  if (typeof content === 'string') {
    problems.push('content is a string, not a list of content blocks');
    return [{ type: 'text', text: content }];
  }
  if (!Array.isArray(content)) {
    problems.push(`content is ${jsonKind(content)}, not a list of content blocks`);
    return content === null ? [] : [unsupported(content)];
  }
  return content.map((block: unknown, index) => {
    const parsed = ContentBlockSchema.safeParse(block);
    if (parsed.success) return parsed.data;
    problems.push(`content block ${index + 1} is not MCP content: ${quoted(block)}`);
    return unsupported(block);
  });
}

function readIsError(isError: unknown, problems: string[]): boolean | undefined {
  if (isError === undefined || typeof isError === 'boolean') return isError;
  problems.push(`isError is ${jsonKind(isError)}, not a boolean`);
  return typeof isError === 'string' ? isError.trim().toLowerCase() === 'true' : Boolean(isError);
}

/**
 * A tools/call result as the bot reads it, where the SDK's CallToolResultSchema rejects the whole
 * result for one deviation: content blocks that are not MCP content become text (their own `text`,
 * or a short description), content given as a string is text, an `isError` that is not a boolean is
 * read as one ("true" is true), and structured content that is not an object is passed as JSON text.
 * Each deviation is added to `problems`. Structured content is not checked against the tool's
 * outputSchema (the SDK's Client.callTool fails the call on a mismatch): the model reads the text either way.
 */
export function readCallResult(result: unknown, problems: string[]): CallToolResult {
  const strict = CallToolResultSchema.safeParse(result);
  if (strict.success) return strict.data;
  const fields = isJsonObject(result) ? result : {};
  const content = readContent(fields.content, problems);
  let structuredContent: Record<string, unknown> | undefined;
  if (isJsonObject(fields.structuredContent)) {
    structuredContent = fields.structuredContent;
  } else if (fields.structuredContent !== undefined) {
    problems.push(`structuredContent is ${jsonKind(fields.structuredContent)}, not an object`);
    if (!content.some((block) => block.type === 'text')) content.push({ type: 'text', text: JSON.stringify(fields.structuredContent) });
  }
  const isError = readIsError(fields.isError, problems);
  return { content, ...(structuredContent ? { structuredContent } : {}), ...(isError === undefined ? {} : { isError }) };
}
