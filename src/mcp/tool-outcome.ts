import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/client';
import { fileNameFromUri } from '../shared/file-names.js';
import { byteSize, describeLink } from './resource-links.js';
import type { ToolImage, ToolOutcome } from './types.js';

const size = (base64: string) => byteSize(Buffer.byteLength(base64, 'base64'));

/** One content block in words; images, audio and binary resources are also kept aside, to be attached to the answer. */
function describe(block: ContentBlock, images: ToolImage[]): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
      images.push({ data: block.data, mimeType: block.mimeType });
      return `[${block.mimeType} image, ${size(block.data)}; it will be shown to the user]`;
    case 'audio':
      images.push({ data: block.data, mimeType: block.mimeType });
      return `[${block.mimeType} audio, ${size(block.data)}; it will be attached for the user]`;
    case 'resource': {
      const { resource } = block;
      if ('text' in resource) return `[resource ${resource.uri} (${resource.mimeType ?? 'text'})]\n${resource.text}`;
      // Binary contents (a PDF, an image, audio) are for the person: the model reads only that they are there.
      const mimeType = resource.mimeType ?? 'application/octet-stream';
      const filename = fileNameFromUri(resource.uri, mimeType);
      images.push({ data: resource.blob, mimeType, ...(filename ? { filename } : {}) });
      return `[resource ${resource.uri} (${mimeType}, ${size(resource.blob)}); it will be attached for the user${filename ? ` as ${filename}` : ''}]`;
    }
    case 'resource_link':
      return describeLink(block);
  }
}

/** A tool's result as the model reads it: text joined, everything else described in words. */
export function toToolOutcome(server: string, tool: string, result: CallToolResult): ToolOutcome {
  const images: ToolImage[] = [];
  const content = result.content ?? [];
  const parts = content.map((block) => describe(block, images));
  // Tools with an output schema may answer with structured content alone.
  if (!content.some((block) => block.type === 'text') && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent));
  const text = parts.join('\n');
  if (result.isError === true) return { ok: false, server, tool, text: `tool "${tool}" on server "${server}" failed: ${text || 'no message'}`, images };
  return { ok: true, server, tool, text: text || '(no output)', images };
}

export function failedOutcome(server: string, tool: string, text: string): ToolOutcome {
  return { ok: false, server, tool, text, images: [] };
}
