import type { Tool } from '@modelcontextprotocol/client';
import { ToolSchema } from '@modelcontextprotocol/core';
import { isJsonObject, jsonKind } from '../shared/json-values.js';

/**
 * What was wrong with one entry of a server's tools/list, and what became of it. `tool` is the
 * tool's name, or `#<n>` (its position, from 1) for an entry without one; absent for the list itself.
 */
export interface ToolListProblem {
  tool?: string;
  problem: string;
  action: 'repaired' | 'left out' | 'cut short';
}

/** One page of tools/list as read here: the tools that parse as MCP tools (after repair) and the cursor of the next page. */
export interface ToolPage {
  tools: Tool[];
  nextCursor: string | undefined;
}

type Entry = Record<string, unknown>;

/**
 * An input schema the SDK's ToolSchema accepts (`type: "object"` at the root, object-valued
 * `properties`, a string list `required`: MCP spec, Tool.inputSchema), made from what the server
 * sent; `undefined` when no object schema can be made of it.
 */
function repairInputSchema(schema: unknown, problems: string[]): Entry | undefined {
  if (schema === undefined || schema === null) {
    problems.push('it has no inputSchema');
    return { type: 'object' };
  }
  if (!isJsonObject(schema)) {
    problems.push(`its inputSchema is ${jsonKind(schema)}, not a JSON Schema object`);
    return undefined;
  }
  const repaired: Entry = { ...schema };
  if (repaired.type === undefined) {
    problems.push('its inputSchema has no type');
    repaired.type = 'object';
  } else if (Array.isArray(repaired.type) && repaired.type.includes('object')) {
    // A nullable object (`["object", "null"]`, as pydantic writes Optional): arguments are always an object.
    problems.push(`its inputSchema is of type ${JSON.stringify(repaired.type)}`);
    repaired.type = 'object';
  } else if (repaired.type !== 'object') {
    problems.push(`its inputSchema is of type ${JSON.stringify(repaired.type)}; tool arguments are an object`);
    return undefined;
  }
  if (repaired.properties !== undefined && !isJsonObject(repaired.properties)) {
    problems.push('its inputSchema.properties is not an object');
    delete repaired.properties;
  } else if (isJsonObject(repaired.properties)) {
    // JSON Schema allows `true` (anything) and `false` (nothing) as schemas; the SDK wants objects.
    const properties = Object.entries(repaired.properties).filter(([, property]) => property !== false);
    if (properties.length !== Object.keys(repaired.properties).length || properties.some(([, property]) => !isJsonObject(property))) {
      problems.push('some inputSchema properties are not schema objects');
      repaired.properties = Object.fromEntries(properties.map(([name, property]) => [name, isJsonObject(property) ? property : {}]));
    }
  }
  if (repaired.required !== undefined && !(Array.isArray(repaired.required) && repaired.required.every((name) => typeof name === 'string'))) {
    problems.push('its inputSchema.required is not a list of names');
    delete repaired.required;
  }
  return repaired;
}

/** Reads one tools/list entry (index from 0) into a tool, repairing what can be and leaving out the rest. */
function readTool(entry: unknown, index: number, report: (problem: ToolListProblem) => void): Tool | undefined {
  const position = `#${index + 1}`;
  if (!isJsonObject(entry)) {
    report({ tool: position, problem: `the entry is ${jsonKind(entry)}, not a tool`, action: 'left out' });
    return undefined;
  }
  if (typeof entry.name !== 'string' || entry.name === '') {
    report({ tool: position, problem: 'the tool has no name', action: 'left out' });
    return undefined;
  }
  const parsed = ToolSchema.safeParse(entry);
  if (parsed.success) return parsed.data;

  const tool = entry.name;
  const problems: string[] = [];
  const inputSchema = repairInputSchema(entry.inputSchema, problems);
  if (!inputSchema) {
    report({ tool, problem: problems.join('; '), action: 'left out' });
    return undefined;
  }
  const repaired: Entry = { ...entry, inputSchema };
  // Every other field of a tool is optional: one that does not parse is dropped, the tool kept.
  const broken = new Set(parsed.error.issues.map((issue) => issue.path[0]));
  for (const field of Object.keys(entry).filter((key) => broken.has(key) && key !== 'name' && key !== 'inputSchema')) {
    problems.push(`its ${field} (${jsonKind(entry[field])}) does not fit MCP's Tool`);
    delete repaired[field];
  }
  const again = ToolSchema.safeParse(repaired);
  if (!again.success) {
    report({ tool, problem: again.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '), action: 'left out' });
    return undefined;
  }
  report({ tool, problem: problems.join('; '), action: 'repaired' });
  return again.data;
}

/**
 * Reads one tools/list result entry by entry, where the SDK's ListToolsResultSchema rejects the whole
 * list for one bad entry: keeps each tool that parses with the SDK's ToolSchema, repairs the
 * repairable (a missing or type-less inputSchema becomes `{type: "object"}`, malformed optional
 * fields are dropped), and leaves out the rest. A `nextCursor` that is not a non-empty string ends the list.
 */
function readToolPage(result: unknown, report: (problem: ToolListProblem) => void): ToolPage {
  const page = isJsonObject(result) ? result : {};
  if (!Array.isArray(page.tools)) {
    if (page.tools !== undefined) report({ problem: `tools is ${jsonKind(page.tools)}, not a list`, action: 'cut short' });
    return { tools: [], nextCursor: undefined };
  }
  const tools = page.tools.flatMap((entry: unknown, index) => readTool(entry, index, report) ?? []);
  return { tools, nextCursor: typeof page.nextCursor === 'string' && page.nextCursor !== '' ? page.nextCursor : undefined };
}

/** Pages of tools/list one server may send before listing stops: a guard against cursors that never end. */
const MAX_PAGES = 100;

/**
 * Every tool of a server, following `nextCursor` (MCP spec, pagination) until a page has none, a
 * cursor comes back that was already listed, or MAX_PAGES pages were read. Of two tools with one name
 * the first is kept: a call by name cannot tell them apart.
 */
export async function listAllTools(fetchPage: (cursor: string | undefined) => Promise<unknown>, report: (problem: ToolListProblem) => void): Promise<Tool[]> {
  const byName = new Map<string, Tool>();
  const listed = new Set<string>();
  let cursor: string | undefined;
  do {
    if (listed.size >= MAX_PAGES) {
      report({ problem: `more than ${MAX_PAGES} pages`, action: 'cut short' });
      break;
    }
    if (cursor !== undefined) listed.add(cursor);
    const page = readToolPage(await fetchPage(cursor), report);
    for (const tool of page.tools) {
      if (byName.has(tool.name)) report({ tool: tool.name, problem: 'an earlier tool of this server has the same name', action: 'left out' });
      else byName.set(tool.name, tool);
    }
    cursor = page.nextCursor;
    if (cursor !== undefined && listed.has(cursor)) {
      report({ problem: `nextCursor ${JSON.stringify(cursor)} was already listed`, action: 'cut short' });
      break;
    }
  } while (cursor !== undefined);
  return [...byName.values()];
}
