import type { CallToolResult, Client, ContentBlock, ResourceLink } from '@modelcontextprotocol/client';
import type { Logger } from '../logging/logger.js';

/** The largest binary resource attached to an answer (Discord's smallest upload limit is 10 MB). */
const MAX_ATTACHED_BYTES = 8 * 1024 * 1024;

export interface LinkReading {
  /** Characters of text a read resource may bring (MAX_TOOL_RESULT_CHARS); a longer one is described instead. */
  maxChars: number;
  timeoutMs: number;
  signal?: AbortSignal;
  log: Logger;
}

type EmbeddedResource = Extract<ContentBlock, { type: 'resource' }>;
type Contents = EmbeddedResource['resource'];

/** Bytes as a person reads them. */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A link left unread, in words the model can pass on: name, URI, type, size, and why it was not read. */
export function describeLink(link: ResourceLink, why?: string): string {
  const details = [link.mimeType, link.size === undefined ? undefined : byteSize(link.size)].filter(Boolean).join(', ');
  const description = link.description ? `: ${link.description}` : '';
  return `[resource link "${link.name}" ${link.uri}${details ? ` (${details})` : ''}${description}${why ? `; ${why}` : ''}]`;
}

/** Why these contents cannot come along, or undefined when they fit. */
function tooLarge(contents: Contents, maxChars: number): string | undefined {
  if ('text' in contents) return contents.text.length > maxChars ? `not read: ${contents.text.length} characters, more than the ${maxChars} a result may have` : undefined;
  const bytes = Buffer.byteLength(contents.blob, 'base64');
  return bytes > MAX_ATTACHED_BYTES ? `not attached: ${byteSize(bytes)}, more than ${byteSize(MAX_ATTACHED_BYTES)}` : undefined;
}

async function readLink(client: Client, link: ResourceLink, reading: LinkReading): Promise<ContentBlock[]> {
  // A declared size beyond both bounds cannot fit as text (UTF-8 takes at most four bytes a character) nor as a file: not worth fetching.
  if (link.size !== undefined && link.size > Math.max(reading.maxChars * 4, MAX_ATTACHED_BYTES)) return [{ type: 'text', text: describeLink(link, 'too large to read here') }];
  try {
    const { contents } = await client.readResource({ uri: link.uri }, { timeout: reading.timeoutMs, signal: reading.signal });
    const problem = contents.map((item) => tooLarge(item, reading.maxChars)).find(Boolean);
    if (problem || contents.length === 0) return [{ type: 'text', text: describeLink(link, problem ?? 'the server sent no contents') }];
    // The link's type holds where the server left it out of the contents.
    return contents.map((item): EmbeddedResource => ({ type: 'resource', resource: { ...item, mimeType: item.mimeType ?? link.mimeType } }));
  } catch (error) {
    reading.log.warn({ uri: link.uri, reason: (error as Error).message }, 'linked resource could not be read');
    return [{ type: 'text', text: describeLink(link, `could not be read: ${(error as Error).message}`) }];
  }
}

/**
 * A tool result with its `resource_link` blocks (MCP 2025-06-18, tools: resource links) read through
 * `resources/read` and put in as embedded resources, which the model then reads (text) or the person
 * gets as files (binary). Only when the server declares the `resources` capability; a link that cannot
 * be read, or whose text is longer than `maxChars` or whose bytes exceed MAX_ATTACHED_BYTES, becomes
 * its description instead. Never rejects.
 */
export async function readResourceLinks(client: Client, result: CallToolResult, reading: LinkReading): Promise<CallToolResult> {
  const content = result.content ?? [];
  if (!content.some((block) => block.type === 'resource_link') || client.getServerCapabilities()?.resources === undefined) return result;
  const read = await Promise.all(content.map((block) => (block.type === 'resource_link' ? readLink(client, block, reading) : [block])));
  return { ...result, content: read.flat() };
}
