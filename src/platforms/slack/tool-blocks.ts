import type { types } from '@slack/bolt';
import { ASKS_FIRST_NOTE, type ServerTools } from '../../engine/index.js';
import { escapeMrkdwn } from './mrkdwn.js';

type KnownBlock = types.KnownBlock;

// Slack's limits: 3,000 characters of text per section, 50 blocks per message.
const SECTION_LIMIT = 3_000;
const BLOCKS_PER_MESSAGE = 50;
/** Keeps a long description from crowding out the other tools; the first line says what a tool is for. */
const TOOL_DESCRIPTION_LIMIT = 200;

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function toolLine(tool: ServerTools['tools'][number]): string {
  const description = tool.description.length > TOOL_DESCRIPTION_LIMIT ? `${tool.description.slice(0, TOOL_DESCRIPTION_LIMIT - 1)}…` : tool.description;
  const name = `• \`${escapeMrkdwn(tool.name)}\`${tool.asksFirst ? ` ${ASKS_FIRST_NOTE}` : ''}`;
  return description ? `${name} — ${escapeMrkdwn(description)}` : name;
}

/** What a server with no tools to list says instead: for a per-person server the asker has not connected, the command that connects it. */
function noToolsLine(entry: ServerTools): string {
  if (entry.state === 'not connected') return `_It takes your own account: run \`/connect ${escapeMrkdwn(entry.server)}\` to use its tools._`;
  return '_no tools_';
}

/** One server's tools as sections: a header line, then as many tool lines as fit in each section. */
function serverBlocks(entry: ServerTools): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  let text = `*${escapeMrkdwn(entry.server)}* (${entry.state})`;
  for (const line of entry.tools.length > 0 ? entry.tools.map(toolLine) : [noToolsLine(entry)]) {
    if (text.length + 1 + line.length > SECTION_LIMIT) {
      blocks.push(section(text));
      text = line;
    } else {
      text = `${text}\n${line}`;
    }
  }
  blocks.push(section(text));
  return blocks;
}

/** `/tools` as Block Kit messages: sections grouped by server, divided, each message within Slack's limits. */
export function toolListMessages(servers: ServerTools[]): KnownBlock[][] {
  const blocks = servers.flatMap((entry, index): KnownBlock[] => (index > 0 ? [{ type: 'divider' }, ...serverBlocks(entry)] : serverBlocks(entry)));
  const messages: KnownBlock[][] = [];
  for (let start = 0; start < blocks.length; start += BLOCKS_PER_MESSAGE) {
    const message = blocks.slice(start, start + BLOCKS_PER_MESSAGE);
    // A divider cut loose from its server would open the next message with a line.
    if (message[0]?.type === 'divider') message.shift();
    messages.push(message);
  }
  return messages;
}
