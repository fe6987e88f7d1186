import type { ChatMessage, CompleteOptions, LlmReply } from '../llm/types.js';
import type { CatalogTool } from '../mcp/types.js';
import { nativeModeSystemPrompt } from './system-prompt.js';
import type { Decision, RequestedCall, ToolProtocol } from './tool-protocol.js';

function parseArguments(id: string, tool: string, raw: string): RequestedCall {
  if (raw.trim() === '') return { id, tool, arguments: {} };
  try {
    const value: unknown = JSON.parse(raw);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return { id, tool, arguments: value as Record<string, unknown> };
  } catch {
    // reported below
  }
  return { id, invalid: `the arguments for ${tool} are not a JSON object` };
}

/** OpenAI function calling, for models that support it: the catalog travels as `tools`. */
export class NativeToolProtocol implements ToolProtocol {
  systemPrompt(tools: CatalogTool[]): string {
    return nativeModeSystemPrompt(tools);
  }

  completeOptions(tools: CatalogTool[]): CompleteOptions {
    if (tools.length === 0) return {};
    return {
      tools: tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
      })),
    };
  }

  interpret(reply: LlmReply): Decision {
    if (reply.toolCalls.length === 0) return { kind: 'answer', text: reply.text.trim() };
    const assistantMessage: ChatMessage = {
      role: 'assistant',
      content: reply.text || null,
      tool_calls: reply.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
    };
    return { kind: 'calls', assistantMessage, calls: reply.toolCalls.map((call) => parseArguments(call.id, call.name, call.arguments)) };
  }

  feedback(call: RequestedCall, text: string): ChatMessage {
    return { role: 'tool', tool_call_id: call.id, content: text };
  }
}
