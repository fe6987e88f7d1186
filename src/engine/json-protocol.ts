import type { ChatMessage, CompleteOptions, LlmReply } from '../llm/types.js';
import type { CatalogTool } from '../mcp/types.js';
import { jsonModeSystemPrompt } from './system-prompt.js';
import { parseToolCall } from './tool-call-parser.js';
import { TOOL_FEEDBACK_PREFIX, type Decision, type RequestedCall, type ToolProtocol } from './tool-protocol.js';

/** The seed protocol: works with any chat model, tools described in the system prompt. */
export class JsonToolProtocol implements ToolProtocol {
  systemPrompt(tools: CatalogTool[]): string {
    return jsonModeSystemPrompt(tools);
  }

  completeOptions(): CompleteOptions {
    return {};
  }

  interpret(reply: LlmReply): Decision {
    const parsed = parseToolCall(reply.text);
    if (parsed.kind === 'text') return { kind: 'answer', text: parsed.text };
    const assistantMessage: ChatMessage = { role: 'assistant', content: reply.text };
    // The id never reaches the model in this protocol; one call per reply keeps it unambiguous.
    const id = 'json-call';
    const call: RequestedCall = parsed.kind === 'tool' ? { id, tool: parsed.tool, arguments: parsed.arguments } : { id, invalid: parsed.reason };
    return { kind: 'calls', assistantMessage, calls: [call] };
  }

  feedback(call: RequestedCall, text: string): ChatMessage {
    const subject = 'tool' in call ? `Result of ${call.tool}:` : 'Your tool call could not be used:';
    return { role: 'user', content: `${TOOL_FEEDBACK_PREFIX}${subject}\n${text}` };
  }
}
