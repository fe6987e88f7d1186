import type { CreateMessageRequest, CreateMessageResult } from '@modelcontextprotocol/client';
import type { ChatMessage, ChatModel } from '../llm/types.js';

type SamplingContent = CreateMessageRequest['params']['messages'][number]['content'];

/** Text as is; images and audio, which the bot's text protocol cannot pass on, named in words. */
function samplingText(content: SamplingContent): string {
  const parts = Array.isArray(content) ? content : [content];
  return parts.map((part) => (part.type === 'text' ? part.text : `[${part.type} omitted]`)).join('\n');
}

/** A server's sampling request answered by the bot's own model, with only what the server sent. */
export async function completeForServer(llm: ChatModel, request: CreateMessageRequest['params']): Promise<CreateMessageResult> {
  const messages: ChatMessage[] = [
    ...(request.systemPrompt ? [{ role: 'system' as const, content: request.systemPrompt }] : []),
    ...request.messages.map((message) => ({ role: message.role, content: samplingText(message.content) })),
  ];
  const reply = await llm.complete(messages);
  return { role: 'assistant', content: { type: 'text', text: reply.text }, model: llm.model ?? 'unknown', stopReason: 'endTurn' };
}
