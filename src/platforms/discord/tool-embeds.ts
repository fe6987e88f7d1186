import type { APIEmbed } from 'discord.js';
import { ASKS_FIRST_NOTE, type ServerTools } from '../../engine/index.js';

// Discord's limits: 256 characters per embed title, 4,096 per description, 10 embeds and 6,000 characters per message.
const TITLE_LIMIT = 256;
const CONTINUED = ', continued';
const DESCRIPTION_LIMIT = 4_096;
const EMBEDS_PER_MESSAGE = 10;
const CHARACTERS_PER_MESSAGE = 6_000;
const TOOL_DESCRIPTION_LIMIT = 200;

function toolLine(tool: ServerTools['tools'][number]): string {
  const description = tool.description.length > TOOL_DESCRIPTION_LIMIT ? `${tool.description.slice(0, TOOL_DESCRIPTION_LIMIT - 1)}…` : tool.description;
  const name = `**${tool.name}**${tool.asksFirst ? ` ${ASKS_FIRST_NOTE}` : ''}`;
  return description ? `${name} — ${description}` : name;
}

/** A per-person server's state (ServerTools.state) for an asker who has not connected their account. */
const NOT_CONNECTED = 'not connected';

/** What an entry without tools says: how to get them, for a server that waits for the asker's own account. */
function noToolsLine(entry: ServerTools): string {
  return entry.state === NOT_CONNECTED ? `_Run \`/connect ${entry.server}\` to use its tools with your own account._` : '_no tools_';
}

/** `server (state)`, the state cut short where it is long (a server's reason for being unreachable), so that `, continued` still fits. */
function titleOf(entry: ServerTools): string {
  const room = TITLE_LIMIT - CONTINUED.length - entry.server.length - ' ()'.length;
  const state = entry.state.length > room ? `${entry.state.slice(0, Math.max(0, room - 1))}…` : entry.state;
  return `${entry.server} (${state})`;
}

function serverEmbeds(entry: ServerTools): APIEmbed[] {
  const title = titleOf(entry);
  const lines = entry.tools.length > 0 ? entry.tools.map(toolLine) : [noToolsLine(entry)];
  const embeds: APIEmbed[] = [];
  let description = '';
  for (const line of lines) {
    if (description && description.length + 1 + line.length > DESCRIPTION_LIMIT) {
      embeds.push({ title: embeds.length ? `${title}${CONTINUED}` : title, description });
      description = '';
    }
    description = description ? `${description}\n${line}` : line;
  }
  embeds.push({ title: embeds.length ? `${title}${CONTINUED}` : title, description });
  return embeds;
}

const embedSize = (embed: APIEmbed) => (embed.title?.length ?? 0) + (embed.description?.length ?? 0);

/** `/tools` as messages of embeds, one server (or more) per embed, each message within Discord's limits. */
export function toolListMessages(servers: ServerTools[]): APIEmbed[][] {
  const messages: APIEmbed[][] = [];
  let current: APIEmbed[] = [];
  let size = 0;
  for (const embed of servers.flatMap(serverEmbeds)) {
    if (current.length === EMBEDS_PER_MESSAGE || size + embedSize(embed) > CHARACTERS_PER_MESSAGE) {
      messages.push(current);
      current = [];
      size = 0;
    }
    current.push(embed);
    size += embedSize(embed);
  }
  if (current.length > 0) messages.push(current);
  return messages;
}
