import type { ChatMessage } from './types.js';

/** What of a chat message takes room in a request: its text (content parts as JSON) and its tool calls as JSON; empty strings when absent. */
export function messageText(message: ChatMessage): { content: string; calls: string } {
  const content = typeof message.content === 'string' ? message.content : message.content ? JSON.stringify(message.content) : '';
  const calls = 'tool_calls' in message && message.tool_calls ? JSON.stringify(message.tool_calls) : '';
  return { content, calls };
}
