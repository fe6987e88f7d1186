import type { CatalogTool } from '../../mcp/types.js';
import { toolSummary } from '../tool-summary.js';

/** How many tools one `find_tools` call returns. */
export const FIND_TOOLS_RESULTS = 8;

/**
 * The bot's own tool, offered whenever the catalog is cut to fit the turn: the model searches the
 * whole catalog in words, and the tools found can be called in its next step. It runs in the engine
 * and never reaches an MCP server.
 */
export const FIND_TOOLS: CatalogTool = {
  name: 'find_tools',
  server: '',
  toolName: 'find_tools',
  description:
    'Searches every tool available to you, not only those listed here, by what you want to do. Returns the best matches, which you can call in your next step. Use it when no listed tool fits.',
  inputSchema: {
    type: 'object',
    properties: { query: { type: 'string', description: 'what you want to do, in a few words (e.g. "list open pull requests")' } },
    required: ['query'],
  },
};

export function isFindTools(name: string): boolean {
  return name === FIND_TOOLS.name;
}

/** The tools found, in words the model can act on: name, what it does, its arguments. */
export function foundToolsText(query: string, tools: readonly CatalogTool[]): string {
  if (tools.length === 0) return `No tool matches "${query}". Try other words, or answer without a tool.`;
  const lines = tools.map((tool) => {
    const args = Object.keys(tool.inputSchema.properties ?? {});
    return `- ${tool.name}: ${toolSummary(tool.description) || '(no description)'}${args.length > 0 ? ` Arguments: ${args.join(', ')}.` : ''}`;
  });
  return `Tools you can call from your next step on:\n${lines.join('\n')}`;
}
