import { IMAGE_CHARS, messageText } from '../llm/message-text.js';
import type { ChatMessage } from '../llm/types.js';
import { isToolFeedback } from './tool-protocol.js';

export interface HistoryBudget {
  maxMessages: number;
  /** In the unit of the size function given to `trimHistory`: characters unless told otherwise. */
  maxChars: number;
}

/** A message's size in characters: its text, its tool calls, and a fixed share per image. */
function messageChars(message: ChatMessage): number {
  const { content, calls, images } = messageText(message);
  return content.length + calls.length + images * IMAGE_CHARS;
}

/** A turn starts at a user's own message; tool feedback belongs to the turn before it. */
function splitIntoTurns(messages: ChatMessage[]): ChatMessage[][] {
  const turns: ChatMessage[][] = [];
  for (const message of messages) {
    const startsTurn = message.role === 'user' && !isToolFeedback(message);
    if (startsTurn || turns.length === 0) turns.push([message]);
    else turns.at(-1)?.push(message);
  }
  return turns.filter((turn) => turn[0]?.role === 'user' && !isToolFeedback(turn[0]));
}

/**
 * Keeps the newest whole turns that fit the budget, so a tool result is never kept without the call
 * that asked for it. When even the newest turn is too big, its question and answer are kept alone.
 */
export function trimHistory(messages: ChatMessage[], budget: HistoryBudget, size: (message: ChatMessage) => number = messageChars): ChatMessage[] {
  const kept: ChatMessage[][] = [];
  let count = 0;
  let chars = 0;
  for (const turn of splitIntoTurns(messages).reverse()) {
    const turnChars = turn.reduce((sum, message) => sum + size(message), 0);
    if (count + turn.length <= budget.maxMessages && chars + turnChars <= budget.maxChars) {
      kept.unshift(turn);
      count += turn.length;
      chars += turnChars;
      continue;
    }
    if (kept.length === 0) {
      const question = turn[0];
      const answer = turn.at(-1);
      if (question && answer && answer !== question && answer.role === 'assistant') kept.unshift([question, answer]);
    }
    break;
  }
  return kept.flat();
}
