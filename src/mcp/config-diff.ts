import { isDeepStrictEqual } from 'node:util';
import type { ServerConfig } from '../config/index.js';

/** How a new servers file differs from the servers running now, by server name. */
export interface ServerDiff {
  /** In the new file only (or enabled again): started. */
  added: ServerConfig[];
  /** In the running set only (or now disabled): closed. */
  removed: string[];
  /** In both, with any field different (command, args, env, allowTools, timeoutMs…): restarted with the new entry. */
  changed: ServerConfig[];
  /** In both and equal: left running as they are. */
  unchanged: string[];
}

/**
 * Compares the running servers with the ones a reloaded file asks for. A disabled server counts as
 * absent, so disabling one removes it and enabling it again adds it.
 */
export function diffServers(running: ServerConfig[], wanted: ServerConfig[]): ServerDiff {
  const enabled = wanted.filter((server) => !server.disabled);
  const before = new Map(running.map((server) => [server.name, server]));
  const after = new Set(enabled.map((server) => server.name));
  const diff: ServerDiff = { added: [], removed: [], changed: [], unchanged: [] };
  for (const server of enabled) {
    const old = before.get(server.name);
    if (!old) diff.added.push(server);
    else if (isDeepStrictEqual(old, server)) diff.unchanged.push(server.name);
    else diff.changed.push(server);
  }
  diff.removed = running.filter((server) => !after.has(server.name)).map((server) => server.name);
  return diff;
}
