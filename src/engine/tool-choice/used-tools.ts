import type { ChatMessage } from '../../llm/types.js';
import { TOOL_FEEDBACK_PREFIX } from '../tool-protocol.js';

const JSON_RESULT = new RegExp(`^${TOOL_FEEDBACK_PREFIX.replace(/[[\]]/g, '\\$&')}Result of ([^:\\n]+):`);

/** Names of the tools a thread has called, from its history: native `tool_calls`, or JSON mode's result messages. */
export function toolsUsedIn(history: readonly ChatMessage[]): Set<string> {
  const used = new Set<string>();
  for (const message of history) {
    if (message.role === 'assistant' && message.tool_calls) {
      for (const call of message.tool_calls) if (call.type === 'function') used.add(call.function.name);
    } else if (message.role === 'user' && typeof message.content === 'string') {
      const result = JSON_RESULT.exec(message.content);
      if (result) used.add(result[1]!);
    }
  }
  return used;
}
