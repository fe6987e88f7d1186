import type { ConnectLink, ConnectResult, PersonalCatalog } from '../mcp/types.js';

/** Minutes a connect link works (see CONNECT_LINK_TTL_MS), as people are told. */
const LINK_MINUTES = 10;

/**
 * The private note with a person's connect links: one "Connect <server>" link per server, in Markdown
 * (each platform converts it), or with the bare address for a terminal (`plain`). Only ever shown to that person.
 */
export function connectLinksText(links: readonly ConnectLink[], format: 'markdown' | 'plain' = 'markdown'): string {
  const lines = links.map((link) => (format === 'plain' ? `  Connect ${link.server}: ${link.url}` : `• [Connect ${link.server}](${link.url})`));
  const which = links.length === 1 ? `the **${links[0]!.server}** tools with your own account, connect it` : 'these servers’ tools with your own accounts, connect them';
  return `To use ${which} (only you see this; each link works once, for ${LINK_MINUTES} minutes):\n${lines.join('\n')}`;
}

/** What `/connect <server>` answers, in Markdown. */
export function connectResultText(result: ConnectResult, server: string, format: 'markdown' | 'plain' = 'markdown'): string {
  switch (result.kind) {
    case 'link':
      return connectLinksText([result.link], format);
    case 'connected':
      return `Your account on **${server}** is already connected. To connect a different one, run \`/disconnect ${server}\` first.`;
    case 'unknown':
      return unknownServerText(server, result.servers, 'connect');
    case 'failed':
      return `I couldn't make a link for **${server}** right now (${result.reason}). Please try again in a minute.`;
  }
}

/** What `/disconnect <server>` answers, in Markdown; `had` is undefined for a server that takes no personal account. */
export function disconnectText(had: boolean | undefined, server: string, servers: readonly string[]): string {
  if (had === undefined) return unknownServerText(server, servers, 'disconnect');
  return had
    ? `Disconnected: I no longer hold your **${server}** tokens, and its tools are gone from your questions. Run \`/connect ${server}\` to connect again.`
    : `Your account on **${server}** was not connected.`;
}

/** No such per-person server (or none named): the ones there are, for `/<verb> <server>`. */
function unknownServerText(server: string, servers: readonly string[], verb: 'connect' | 'disconnect'): string {
  if (servers.length === 0) return 'No server here takes your own account.';
  const named = server === '' ? '' : `There is no server "${server}" that takes your own account. `;
  return `${named}Servers that take your own account: ${servers.map((name) => `\`${name}\``).join(', ')}. Use \`/${verb} <server>\`.`;
}

/**
 * For the model, after the system prompt: the per-person servers the asker has not connected (or
 * cannot reach now), so it says so instead of guessing or pretending; undefined when there are none.
 */
export function accountsNote(catalog: Pick<PersonalCatalog, 'unconnected' | 'unavailable'>): string | undefined {
  const lines: string[] = [];
  if (catalog.unconnected.length > 0) {
    lines.push(
      `These tool servers need each person's own account, and the person asking has not connected theirs: ${catalog.unconnected.join(', ')}. Their tools are not available in this conversation. If the question needs one, say so and tell them to connect it with /connect <server>; do not guess its data.`,
    );
  }
  for (const { server, reason } of catalog.unavailable) lines.push(`The tool server ${server} cannot be reached for the person asking right now (${reason}); its tools are not available.`);
  return lines.length === 0 ? undefined : lines.join('\n');
}
