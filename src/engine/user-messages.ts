import { LlmError, type LlmErrorKind } from '../llm/types.js';

const LLM_MESSAGES: Record<LlmErrorKind, string> = {
  unreachable: "I can't reach the language model right now. Please try again in a minute.",
  unauthorized: 'The language model rejected my credentials; an operator needs to check the API key.',
  rate_limited: 'The language model is busy right now (rate limited). Please try again shortly.',
  timeout: 'The language model took too long to answer. Please try again.',
  server_error: 'The language model had an error. Please try again in a minute.',
  bad_request: 'The language model could not handle this request; an operator may need to check the model settings.',
  bad_response: 'The language model sent an answer I could not read. Please try again.',
};

/** A short sentence for the thread; the details go to the logs. */
export function userMessageFor(error: unknown): string {
  if (error instanceof LlmError) return LLM_MESSAGES[error.kind];
  return 'Something went wrong on my side while answering. Please try again.';
}

export const STORE_UNAVAILABLE_MESSAGE = "I can't reach my conversation store right now, so I can't answer safely. Please try again shortly.";

export function stepLimitMessage(steps: number): string {
  return `I stopped after ${steps} tool calls without reaching an answer. Try asking a narrower question.`;
}

/** The model said nothing a person can read (only reasoning, or nothing at all). */
export function emptyAnswerMessage(finishReason: string | undefined): string {
  return finishReason === 'length'
    ? 'The language model ran out of room before it finished its answer. Please try again, or ask a narrower question.'
    : 'The language model sent an empty answer. Please try again.';
}

export const RATE_LIMITED_MESSAGE = "You're sending messages faster than I can keep up with. Please wait a minute and ask again.";

export function inputTooLongMessage(length: number, limit: number): string {
  return `Your message is too long for me (${length} characters; the limit is ${limit}). Please shorten it or split it up.`;
}

export const NOTHING_TO_READ_MESSAGE = 'I could not read the files you sent, and there was no question with them. Ask me something, or attach a text file or an image.';

export const ACCESS_DENIED_MESSAGE = "Sorry, I'm not available to you here. If you need me, ask whoever runs this bot to give you access.";

/** A take-over found the turn's process gone after this tool had started: running it again could repeat what it did. */
export function interruptedToolMessage(server: string, tool: string): string {
  return `I was interrupted while using \`${tool}\` (${server}) and can't tell whether it finished, so I won't run it again on my own. Please check, and ask me again if it's still needed.`;
}
