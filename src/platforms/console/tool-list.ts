import { ASKS_FIRST_NOTE, type ServerTools } from '../../engine/index.js';

/** `/tools` as plain text: servers in order, one line a tool. */
export function formatToolList(servers: ServerTools[]): string {
  if (servers.length === 0) return 'No MCP servers are configured.';
  return servers
    .map((entry) => {
      const header = `${entry.server} (${entry.state})`;
      if (entry.tools.length === 0) return `${header}\n  (no tools)`;
      return [header, ...entry.tools.map((tool) => `  ${tool.name}${tool.asksFirst ? ` ${ASKS_FIRST_NOTE}` : ''}${tool.description ? ` — ${tool.description}` : ''}`)].join('\n');
    })
    .join('\n');
}
