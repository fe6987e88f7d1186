import { functionParameters } from '../llm/function-parameters.js';
import type { ChatMessage, CompleteOptions, LlmReply, NativeToolDefinition } from '../llm/types.js';
import type { CatalogTool } from '../mcp/types.js';
import { canonicalName, readArguments, readReply, withoutReasoning, type ToolIndex } from './model-replies/index.js';
import { nativeModeSystemPrompt } from './system-prompt.js';
import { textFeedback, type Decision, type RequestedCall, type ToolProtocol } from './tool-protocol.js';

/** OpenAI refuses a longer `tools[].function.description` with a 400 (`string_above_max_length`), whatever the server wrote. */
const MAX_DESCRIPTION_CHARS = 1024;

/** Calls the model wrote in its text instead of `tool_calls`; their ids never reach the endpoint. */
const INLINE_ID_PREFIX = 'inline-';

function truncated(text: string): string {
  return text.length <= MAX_DESCRIPTION_CHARS ? text : `${text.slice(0, MAX_DESCRIPTION_CHARS - 1)}…`;
}

function requested(id: string, name: string, raw: unknown, tools: ToolIndex): RequestedCall {
  const tool = canonicalName(name, tools);
  const args = readArguments(raw);
  return args ? { id, tool, arguments: args } : { id, invalid: `the arguments for ${tool} are not a JSON object` };
}

/** An id of the same form as the endpoints' own, for calls read from the text. */
function callIdFor(index: number): string {
  return `call${String(index).padStart(5, '0')}`;
}

/** OpenAI function calling, for models that support it: the catalog travels as `tools`. */
export class NativeToolProtocol implements ToolProtocol {
  private readonly definitions = new WeakMap<CatalogTool, { definition: NativeToolDefinition; text: string }>();

  private definitionOf(tool: CatalogTool): { definition: NativeToolDefinition; text: string } {
    let entry = this.definitions.get(tool);
    if (!entry) {
      const definition: NativeToolDefinition = {
        type: 'function',
        function: { name: tool.name, description: truncated(tool.description), parameters: functionParameters(tool.inputSchema) },
      };
      this.definitions.set(tool, (entry = { definition, text: JSON.stringify(definition) }));
    }
    return entry;
  }

  toolText(tool: CatalogTool): string {
    return this.definitionOf(tool).text;
  }

  systemPrompt(tools: CatalogTool[]): string {
    return nativeModeSystemPrompt(tools);
  }

  completeOptions(tools: CatalogTool[]): CompleteOptions {
    if (tools.length === 0) return {};
    return { tools: tools.map((tool) => this.definitionOf(tool).definition) };
  }

  interpret(reply: LlmReply, tools: ToolIndex): Decision {
    if (reply.toolCalls.length === 0) return this.interpretText(reply.text, tools);
    const assistantMessage: ChatMessage = {
      role: 'assistant',
      content: withoutReasoning(reply.text).trim() || null,
      tool_calls: reply.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
    };
    return { kind: 'calls', assistantMessage, calls: reply.toolCalls.map((call) => requested(call.id, call.name, call.arguments, tools)) };
  }

  /**
   * Open models behind an endpoint whose tool parser is off or failed send the call in `content`, in
   * their family's markup. Usable calls become `tool_calls` of the assistant message, as if the endpoint
   * had parsed them; unusable ones are answered after them, as text.
   */
  private interpretText(text: string, tools: ToolIndex): Decision {
    const read = readReply(text, tools);
    if (read.kind === 'text') return { kind: 'answer', text: read.text };
    const usable = read.calls.flatMap((call, index) => ('tool' in call ? [{ id: callIdFor(index + 1), ...call }] : []));
    const unusable = read.calls.flatMap((call, index) => ('invalid' in call ? [{ id: `${INLINE_ID_PREFIX}${index + 1}`, invalid: call.invalid }] : []));
    const assistantMessage: ChatMessage =
      usable.length > 0
        ? { role: 'assistant', content: null, tool_calls: usable.map((call) => ({ id: call.id, type: 'function', function: { name: call.tool, arguments: JSON.stringify(call.arguments) } })) }
        : { role: 'assistant', content: read.said };
    return { kind: 'calls', assistantMessage, calls: [...usable, ...unusable] };
  }

  feedback(call: RequestedCall, text: string): ChatMessage {
    return call.id.startsWith(INLINE_ID_PREFIX) ? textFeedback(call, text) : { role: 'tool', tool_call_id: call.id, content: text };
  }
}
