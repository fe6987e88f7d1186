const MAX_LENGTH = 64;

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, MAX_LENGTH) || 'tool';
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
 * The names the model sees, in the order given: a tool's own name when no other server has a tool of
 * that name, `<server>_<tool>` for every server that shares it; always within `^[a-zA-Z0-9_-]{1,64}$`
 * and unique. Own names are handed out first, so a tool never loses its name to a prefixed one.
 * `reserved`: names already given (the shared catalog, when naming a person's own tools), which these
 * tools treat as shared.
 */
export function exposedNames(tools: readonly NamedTool[], reserved: ReadonlySet<string> = new Set()): string[] {
  const servers = new Map<string, Set<string>>();
  for (const { server, toolName } of tools) {
    const key = sanitize(toolName);
    servers.set(key, (servers.get(key) ?? new Set()).add(server));
  }
  const shared = tools.map(({ toolName }) => (servers.get(sanitize(toolName))?.size ?? 0) > 1 || reserved.has(sanitize(toolName)));

  const names: string[] = new Array<string>(tools.length);
  const taken = new Set<string>(reserved);
  const assign = (index: number, base: string) => {
    let name = base;
    for (let suffix = 2; taken.has(name); suffix += 1) name = withSuffix(base, suffix);
    taken.add(name);
    names[index] = name;
  };
  tools.forEach((tool, index) => !shared[index] && assign(index, sanitize(tool.toolName)));
  tools.forEach((tool, index) => shared[index] && assign(index, sanitize(`${tool.server}_${tool.toolName}`)));
  return names;
}
