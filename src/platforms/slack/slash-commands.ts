import type { App } from '@slack/bolt';
import type { ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { dmThreadKey } from './message-router.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { toolListMessages } from './tool-blocks.js';

/**
 * `/tools [server]` and `/reset`, answered only to the person who asked. Each acknowledges first:
 * Slack shows an error when a command is not acknowledged within 3 seconds.
 */
export function registerSlashCommands(app: App, engine: ConversationEngine, log: Logger): void {
  app.command('/tools', async ({ command, ack, respond }) => {
    await ack();
    const server = command.text.trim() || undefined;
    const servers = engine.listTools(server);
    if (servers.length === 0) {
      const known = engine.listTools().map((entry) => `\`${escapeMrkdwn(entry.server)}\``);
      const text = !server ? 'No MCP servers are configured.' : `No MCP server is named \`${escapeMrkdwn(server)}\`.${known.length ? ` Servers: ${known.join(', ')}.` : ''}`;
      await respond({ response_type: 'ephemeral', text });
      return;
    }
    for (const [index, blocks] of toolListMessages(servers).entries()) {
      await respond({ response_type: 'ephemeral', text: index === 0 ? 'Tools I can use' : 'Tools I can use (continued)', blocks });
    }
  });

  // Slash commands carry no thread, so only a DM (one conversation) says which history to forget.
  app.command('/reset', async ({ command, ack, respond }) => {
    await ack();
    if (!command.channel_id.startsWith('D')) {
      await respond({ response_type: 'ephemeral', text: 'Use /reset in a DM with me. In a channel, mention me in a new message to start a fresh thread.' });
      return;
    }
    const threadKey = dmThreadKey(command.team_id, command.channel_id);
    try {
      await engine.reset(threadKey);
    } catch (error) {
      log.error({ threadKey, err: error }, '/reset could not delete the history');
      await respond({ response_type: 'ephemeral', text: "I can't reach my conversation store right now, so nothing was forgotten. Please try again shortly." });
      return;
    }
    await respond({ response_type: 'ephemeral', text: 'Done: I have forgotten our DM conversation.' });
  });
}
