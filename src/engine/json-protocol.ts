import type { ChatMessage, CompleteOptions, LlmReply } from '../llm/types.js';
import type { CatalogTool } from '../mcp/types.js';
import { readReply, type ToolIndex } from './model-replies/index.js';
import { describeTool, jsonModeSystemPrompt } from './system-prompt.js';
import { textFeedback, type Decision, type RequestedCall, type ToolProtocol } from './tool-protocol.js';

/** The seed protocol: works with any chat model, tools described in the system prompt. */
export class JsonToolProtocol implements ToolProtocol {
  private readonly texts = new WeakMap<CatalogTool, string>();

  toolText(tool: CatalogTool): string {
    let text = this.texts.get(tool);
    if (text === undefined) this.texts.set(tool, (text = describeTool(tool)));
    return text;
  }

  systemPrompt(tools: CatalogTool[]): string {
    return jsonModeSystemPrompt(tools.map((tool) => this.toolText(tool)));
  }

  completeOptions(): CompleteOptions {
    return {};
  }

  interpret(reply: LlmReply, tools: ToolIndex): Decision {
    const read = readReply(reply.text, tools);
    if (read.kind === 'text') return { kind: 'answer', text: read.text };
    const assistantMessage: ChatMessage = { role: 'assistant', content: read.said };
    // The ids never reach the model in this protocol; they only pair each call with its result.
    const calls: RequestedCall[] = read.calls.map((call, index) => ({ id: `json-call-${index + 1}`, ...call }));
    return { kind: 'calls', assistantMessage, calls };
  }

  feedback(call: RequestedCall, text: string): ChatMessage {
    return textFeedback(call, text);
  }
}
