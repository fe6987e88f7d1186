const MAX_LENGTH = 64;

function sanitize(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, MAX_LENGTH);
  return cleaned || 'tool';
}

function withSuffix(name: string, suffix: number): string {
  const tail = `_${suffix}`;
  return name.slice(0, MAX_LENGTH - tail.length) + tail;
}

export interface NamedTool {
  server: string;
  toolName: string;
}

/**
 * The names the model sees: a tool's own name when only one server has it, `<server>_<tool>` when
 * several do; always within `^[a-zA-Z0-9_-]{1,64}$` and unique.
 */
export function exposedNames(tools: NamedTool[]): string[] {
  const servingCount = new Map<string, number>();
  for (const tool of tools) servingCount.set(tool.toolName, (servingCount.get(tool.toolName) ?? 0) + 1);
  const taken = new Set<string>();
  return tools.map((tool) => {
    const shared = (servingCount.get(tool.toolName) ?? 0) > 1;
    const base = sanitize(shared ? `${tool.server}_${tool.toolName}` : tool.toolName);
    let name = base;
    for (let suffix = 2; taken.has(name); suffix += 1) name = withSuffix(base, suffix);
    taken.add(name);
    return name;
  });
}
