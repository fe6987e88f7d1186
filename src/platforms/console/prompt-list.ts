import { promptId } from '../../engine/index.js';
import type { ServerPrompt } from '../../mcp/index.js';

/** One prompt's arguments as the console takes them: `topic=… [style=…]`, optional ones in brackets. */
function usage(prompt: ServerPrompt): string {
  return prompt.arguments.map((argument) => (argument.required ? `${argument.name}=…` : `[${argument.name}=…]`)).join('; ');
}

/** `/prompt` as plain text: one line a prompt, `server/name`, its arguments, then what it does. */
export function formatPromptList(prompts: ServerPrompt[]): string {
  if (prompts.length === 0) return 'No MCP server offers prompts.';
  const lines = prompts.map((prompt) => {
    const args = usage(prompt);
    const about = prompt.description ?? prompt.title;
    return `  ${promptId(prompt)}${args ? ` ${args}` : ''}${about ? ` — ${about}` : ''}`;
  });
  return ['Prompts (run one with /prompt <server>/<name> name=value; other=value):', ...lines].join('\n');
}

/** How to call one prompt, for a line that left out what it needs. */
export function promptUsage(prompt: ServerPrompt): string {
  const args = usage(prompt);
  return `Usage: /prompt ${promptId(prompt)}${args ? ` ${args}` : ''}`;
}
