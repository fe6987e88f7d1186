import type { ChatMessage } from '../llm/types.js';
import type { TokenCounter } from '../llm/token-count.js';
import { trimHistory } from './history-budget.js';
import { isToolFeedback } from './tool-protocol.js';

/** The model's context window and the part of it kept free for the answer. */
export interface ContextWindow {
  tokens: number;
  answerTokens: number;
}

/** Room kept for the answer: a quarter of the window, at most 1,024 tokens. */
export function contextWindow(tokens: number): ContextWindow {
  return { tokens, answerTokens: Math.min(1_024, Math.floor(tokens / 4)) };
}

/** What stands in for a tool result that the window has no room for. */
const DROPPED_RESULT = '[This result was dropped: it does not fit the model context window.]';

export interface FitInput {
  /** Tokens of the system prompt and the tool definitions, already counted. */
  fixedTokens: number;
  history: ChatMessage[];
  /** This turn's messages so far: the question, the calls and their results. */
  turn: ChatMessage[];
}

export interface Fitted {
  history: ChatMessage[];
  turn: ChatMessage[];
  /** Tokens the request is estimated to take, the answer's room excluded. */
  tokens: number;
}

/**
 * Fits history and the turn into what the window leaves beside the system prompt and tools: the
 * oldest whole turns of history go first. Undefined when the turn itself does not fit, so the caller
 * cuts tools first; only once there are none left to cut does it pass `dropResults`, and this turn's
 * oldest tool results give way (the model is told), since a model that loses a result calls again.
 */
export function fitContext(input: FitInput, window: ContextWindow, counter: TokenCounter, dropResults = false): Fitted | undefined {
  const budget = window.tokens - window.answerTokens - input.fixedTokens;
  const turnTokens = (messages: ChatMessage[]) => messages.reduce((sum, message) => sum + counter.countMessage(message), 0);
  const turn = [...input.turn];
  let current = turnTokens(turn);
  for (let index = 0; dropResults && current > budget && index < turn.length; index += 1) {
    const message = turn[index]!;
    if (!isToolFeedback(message) || message.content === DROPPED_RESULT) continue;
    turn[index] = { ...message, content: DROPPED_RESULT } as ChatMessage;
    current = turnTokens(turn);
  }
  if (current > budget) return undefined;
  const room = budget - current;
  const trimmed = trimHistory(input.history, { maxMessages: Number.MAX_SAFE_INTEGER, maxChars: room }, (message) => counter.countMessage(message));
  // trimHistory keeps the newest question and answer even when they are over budget; a window cannot.
  const history = turnTokens(trimmed) <= room ? trimmed : [];
  return { history, turn, tokens: input.fixedTokens + current + turnTokens(history) };
}
