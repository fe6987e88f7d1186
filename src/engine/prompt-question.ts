import type { GetPromptResult } from '@modelcontextprotocol/client';
import { extensionFor, fileNameFromUri } from '../shared/file-names.js';
import type { IncomingFile } from './types.js';

type PromptContent = GetPromptResult['messages'][number]['content'];

/** A file made of bytes the server sent along: nothing to download. */
function sentFile(name: string, mimeType: string, data: Buffer): IncomingFile {
  return { name, mimeType, size: data.length, download: () => Promise.resolve(data) };
}

/** One content block of a prompt message: its words, or a file (kept aside in `files`) that the engine reads as it reads attachments. */
function partOf(content: PromptContent, files: IncomingFile[]): string | undefined {
  const index = files.length + 1;
  switch (content.type) {
    case 'text':
      return content.text;
    case 'image':
    case 'audio':
      files.push(sentFile(`${content.type}-${index}.${extensionFor(content.mimeType)}`, content.mimeType, Buffer.from(content.data, 'base64')));
      return undefined;
    case 'resource': {
      const { resource } = content;
      const mimeType = resource.mimeType ?? ('text' in resource ? 'text/plain' : 'application/octet-stream');
      const data = 'text' in resource ? Buffer.from(resource.text, 'utf8') : Buffer.from(resource.blob, 'base64');
      files.push(sentFile(fileNameFromUri(resource.uri, mimeType) ?? `resource-${index}.${extensionFor(mimeType)}`, mimeType, data));
      return undefined;
    }
    case 'resource_link':
      return `[resource link "${content.name}" ${content.uri}${content.description ? `: ${content.description}` : ''}]`;
    default:
      return undefined;
  }
}

/**
 * A filled prompt (prompts/get) as a question: its messages' text, in order, becomes the text; its
 * images, audio and embedded resources become files, which the engine reads as it reads a person's
 * attachments (text as text, images with LLM_VISION, the rest named). When the prompt also holds
 * assistant messages (a worked example), each message is labelled with its role, so the model reads
 * who said what.
 */
export function promptQuestion(result: GetPromptResult): { text: string; files: IncomingFile[] } {
  const files: IncomingFile[] = [];
  const labelled = result.messages.some((message) => message.role === 'assistant');
  const parts = result.messages.flatMap((message) => {
    const text = partOf(message.content, files);
    if (text === undefined) return [];
    return [labelled ? `${message.role === 'assistant' ? 'Assistant' : 'User'}: ${text}` : text];
  });
  return { text: parts.join('\n\n'), files };
}
