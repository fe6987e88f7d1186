import { rename, writeFile } from 'node:fs/promises';
import type { StdioServerConfig } from '../../src/config/index.js';
import { fixtureServerConfig } from '../fixtures/index.js';

/** A fixture server as servers_config.json writes it, offering only `tools` so each server's tools keep their own names. */
export function fixtureEntry(tools: string[], fields: Record<string, unknown> = {}): Record<string, unknown> {
  const { command, args }: StdioServerConfig = fixtureServerConfig('entry');
  return { command, args, allowTools: tools, ...fields };
}

/** Saves the servers file as editors do: a temporary file renamed over the old one. */
export async function saveServersFile(file: string, content: Record<string, unknown> | string): Promise<void> {
  const temporary = `${file}.tmp`;
  await writeFile(temporary, typeof content === 'string' ? content : JSON.stringify({ mcpServers: content }, null, 2));
  await rename(temporary, file);
}
