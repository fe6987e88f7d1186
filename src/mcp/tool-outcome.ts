import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolImage, ToolOutcome } from './types.js';

function size(base64: string): string {
  const bytes = Math.floor((base64.length * 3) / 4);
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${bytes} bytes`;
}

/** A tool's result as the model reads it: text joined; images kept for the thread and described in words. */
export function toToolOutcome(server: string, tool: string, result: CallToolResult): ToolOutcome {
  const parts: string[] = [];
  const images: ToolImage[] = [];
  for (const block of result.content ?? []) {
    switch (block.type) {
      case 'text':
        parts.push(block.text);
        break;
      case 'image':
        images.push({ data: block.data, mimeType: block.mimeType });
        parts.push(`[${block.mimeType} image, ${size(block.data)}; it will be shown to the user]`);
        break;
      case 'audio':
        parts.push(`[${block.mimeType} audio, ${size(block.data)}]`);
        break;
      case 'resource': {
        const resource = block.resource;
        parts.push('text' in resource ? `[resource ${resource.uri}]\n${resource.text}` : `[resource ${resource.uri} (${resource.mimeType ?? 'binary'}, ${size(resource.blob)})]`);
        break;
      }
      case 'resource_link':
        parts.push(`[link ${block.name}: ${block.uri}${block.description ? ` — ${block.description}` : ''}]`);
        break;
    }
  }
  if (!parts.some((part) => part.trim()) && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent));
  const text = parts.join('\n') || (result.isError ? 'the tool failed without a message' : '(no output)');
  return { ok: result.isError !== true, server, tool, text, images };
}

export function failedOutcome(server: string, tool: string, text: string): ToolOutcome {
  return { ok: false, server, tool, text, images: [] };
}
