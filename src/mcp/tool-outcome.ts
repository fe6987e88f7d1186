import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/client';
import type { ToolImage, ToolOutcome } from './types.js';

function size(base64: string): string {
  const bytes = Buffer.byteLength(base64, 'base64');
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${bytes} bytes`;
}

/** One content block in words; images are also kept aside, to be attached to the answer. */
function describe(block: ContentBlock, images: ToolImage[]): string {
  switch (block.type) {
    case 'text':
      return block.text;
    case 'image':
      images.push({ data: block.data, mimeType: block.mimeType });
      return `[${block.mimeType} image, ${size(block.data)}; it will be shown to the user]`;
    case 'audio':
      return `[${block.mimeType} audio, ${size(block.data)}]`;
    case 'resource': {
      const { resource } = block;
      if ('text' in resource) return `[resource ${resource.uri} (${resource.mimeType ?? 'text'})]\n${resource.text}`;
      return `[resource ${resource.uri} (${resource.mimeType ?? 'binary'}, ${size(resource.blob)})]`;
    }
    case 'resource_link': {
      const mimeType = block.mimeType ? ` (${block.mimeType})` : '';
      const description = block.description ? `: ${block.description}` : '';
      return `[resource link "${block.name}" ${block.uri}${mimeType}${description}]`;
    }
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
