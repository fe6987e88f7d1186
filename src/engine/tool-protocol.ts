import type { ChatMessage, CompleteOptions, LlmReply } from '../llm/types.js';
import type { CatalogTool } from '../mcp/types.js';
import type { ToolIndex } from './model-replies/index.js';

/** One tool call the model asked for; `invalid` when it could not be read. */
export type RequestedCall =
  | { id: string; tool: string; arguments: Record<string, unknown> }
  | { id: string; invalid: string };

export type Decision =
  | { kind: 'answer'; text: string }
  | { kind: 'calls'; assistantMessage: ChatMessage; calls: RequestedCall[] };

/** How tool calls travel between the engine and the model: JSON in the text, or native function calling. */
export interface ToolProtocol {
  /** What one tool adds to a request (its description in the prompt, or its definition in `tools`); its length is its cost. */
  toolText(tool: CatalogTool): string;
  systemPrompt(tools: CatalogTool[]): string;
  completeOptions(tools: CatalogTool[]): CompleteOptions;
  /** What the reply asks for; `tools` are those offered, by the names the model sees. */
  interpret(reply: LlmReply, tools: ToolIndex): Decision;
  /** The message that feeds a call's result (or the reason it failed) back to the model. */
  feedback(call: RequestedCall, text: string): ChatMessage;
}

/** JSON-mode feedback travels as user messages; this prefix tells them apart from what people wrote. */
export const TOOL_FEEDBACK_PREFIX = '[tool] ';

export function isToolFeedback(message: ChatMessage): boolean {
  if (message.role === 'tool') return true;
  return message.role === 'user' && typeof message.content === 'string' && message.content.startsWith(TOOL_FEEDBACK_PREFIX);
}

/** Feedback as a user message, for calls the model made in its text rather than through `tool_calls`. */
export function textFeedback(call: RequestedCall, text: string): ChatMessage {
  const subject = 'tool' in call ? `Result of ${call.tool}:` : 'Your tool call could not be used:';
  return { role: 'user', content: `${TOOL_FEEDBACK_PREFIX}${subject}\n${text}` };
}

export const FINAL_ANSWER_REQUEST: ChatMessage = {
  role: 'user',
  content: `${TOOL_FEEDBACK_PREFIX}The tool-call limit for this question is reached. Answer the user now in plain language with what you have; do not call any tool.`,
};
