import { isJsonObject } from '../shared/json-values.js';
import type { ChatMessage } from './types.js';

/**
 * What one image part costs in a request, in tokens: OpenAI counts 765 for a 1024×1024 image at high
 * detail (85 base + 170 per 512-pixel tile); other vision models are in that range.
 */
export const IMAGE_TOKENS = 765;

/** An image part's share of a character budget, at the four characters a token the budgets assume. */
export const IMAGE_CHARS = IMAGE_TOKENS * 4;

/**
 * What of a chat message takes room in a request: its text (the text parts of a content array), its
 * tool calls as JSON, and how many image parts it has (their bytes are not text the model reads);
 * empty strings and 0 when absent.
 */
export function messageText(message: ChatMessage): { content: string; calls: string; images: number } {
  let content = '';
  let images = 0;
  if (typeof message.content === 'string') content = message.content;
  else if (Array.isArray(message.content)) {
    const texts: string[] = [];
    for (const part of message.content as unknown[]) {
      if (!isJsonObject(part)) continue;
      if (part.type === 'image_url') images += 1;
      else texts.push(typeof part.text === 'string' ? part.text : JSON.stringify(part));
    }
    content = texts.join('\n');
  }
  const calls = 'tool_calls' in message && message.tool_calls ? JSON.stringify(message.tool_calls) : '';
  return { content, calls, images };
}
