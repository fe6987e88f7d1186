import { sampleObject } from '../../src/cli/sample-arguments.js';
import type { JsonSchema } from '../../src/mcp/types.js';
import { toolResultText, type LlmRequest, type LlmScript, type ScriptedAnswer } from './fake-llm.js';

/** What the model is after for one question: the tool (by the name the bot exposes) and its description. */
export interface SoughtTool {
  name: string;
  description: string;
  inputSchema: JsonSchema;
}

/** The tools a request offers: native `tools`, or the `- name:` lines of the JSON-mode prompt. */
export function offeredToolNames(request: LlmRequest): string[] {
  if (Array.isArray(request.body.tools)) return (request.body.tools as { function: { name: string } }[]).map((tool) => tool.function.name);
  const system = String(request.messages[0]?.content ?? '');
  return [...system.matchAll(/^- ([^\s:]+):/gm)].map((match) => match[1]!);
}

function call(native: boolean, tool: string, args: Record<string, unknown>): ScriptedAnswer {
  return native ? { nativeToolCalls: [{ name: tool, arguments: args }] } : { toolCall: { tool, arguments: args } };
}

/** Words a model would search with: the start of the tool's description, without its name. */
export function searchWords(tool: SoughtTool): string {
  return tool.description.split(/\s+/).slice(0, 8).join(' ');
}

/**
 * A model that calls a tool only when the request offers it (as a real model can only call what it
 * was given): for the question's tool it calls it when offered, else `find_tools` with words from the
 * tool's description, then the tool once found; it answers with the last tool result. `sought` maps a
 * question to its tool.
 */
export function toolSeekingScript(sought: (question: string) => SoughtTool | undefined, native: boolean): LlmScript {
  return (request) => {
    const result = toolResultText(request);
    const tool = sought(request.lastUserText);
    if (!tool) return result ?? 'I have no tool for that.';
    const offered = offeredToolNames(request);
    // The many-tools fixture answers every call with "<server>/<tool> called with …".
    if (result?.includes(' called with ')) return `done: ${result}`;
    if (offered.includes(tool.name)) return call(native, tool.name, sampleObject(tool.inputSchema));
    if (offered.includes('find_tools') && result === undefined) return call(native, 'find_tools', { query: searchWords(tool) });
    return `not offered: ${tool.name}`;
  };
}
