export { ConversationEngine } from './engine.js';
export type { AccessCheck, EngineDeps, TurnObserver } from './engine.js';
export { ASKS_FIRST_NOTE, confirmationOutcomeText, confirmationText, goneQuestionText, NOT_YOUR_QUESTION_TEXT, settledConfirmationText } from './confirmation-text.js';
export { ACCESS_DENIED_MESSAGE } from './user-messages.js';
export type { AnswerResult } from './questions.js';
export { progressText } from './progress.js';
export { parseToolCall } from './tool-call-parser.js';
export type { ConfirmationOutcome, ConfirmationRequest, FinalAnswer, ImageAttachment, IncomingMessage, Reply, ServerTools, TurnProgress } from './types.js';
