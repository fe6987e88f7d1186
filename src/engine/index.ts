export { ConversationEngine } from './engine.js';
export type { EngineDeps, TurnObserver } from './engine.js';
export { progressText } from './progress.js';
export { parseToolCall } from './tool-call-parser.js';
export type { Author, FinalAnswer, ImageAttachment, IncomingMessage, Reply, ServerTools, TurnProgress } from './types.js';
