export { createChatModel } from './openai-chat-model.js';
export { createEmbedder, type TextEmbedder } from './embeddings.js';
export { LlmError } from './types.js';
export type { ChatMessage, ChatModel, CompleteOptions, LlmErrorKind, LlmReply, NativeToolCall, NativeToolDefinition } from './types.js';
