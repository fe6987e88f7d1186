import { ASKS_FIRST_NOTE, type ServerTools } from '../../engine/index.js';

/** A line no wider than `columns` characters, its end replaced by `…` when it was cut. */
function fitted(line: string, columns: number | undefined): string {
  const characters = [...line];
  if (columns === undefined || columns < 2 || characters.length <= columns) return line;
  return `${characters.slice(0, columns - 1).join('')}…`;
}

/**
 * `/tools` as plain text: servers in order, one line a tool. Given the terminal's width in `columns`,
 * each line is cut to it, so a long description never wraps across the screen; piped, lines are whole.
 */
export function formatToolList(servers: ServerTools[], columns?: number): string {
  if (servers.length === 0) return 'No MCP servers are configured.';
  return servers
    .map((entry) => {
      const header = `${entry.server} (${entry.state})`;
      if (entry.tools.length === 0) return `${header}\n  (no tools)`;
      const toolLines = entry.tools.map((tool) => `  ${tool.name}${tool.asksFirst ? ` ${ASKS_FIRST_NOTE}` : ''}${tool.description ? ` — ${tool.description}` : ''}`);
      return [header, ...toolLines].map((line) => fitted(line, columns)).join('\n');
    })
    .join('\n');
}
