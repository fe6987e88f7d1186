import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { Asker } from '../../access/index.js';
import { ACCESS_DENIED_MESSAGE, type ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import type { DiscordReply } from './discord-reply.js';
import { askConversation } from './interaction-conversations.js';
import { InteractionSurface, type MessageSurface } from './message-surface.js';

/**
 * `/ask <question>`: a turn answered in the interaction itself, where the app may be used without the
 * bot being there (a user install in any server, DM or group DM). Deferred at once (Discord's
 * 3-second window); the answer then streams into the deferred reply, with follow-ups past 2,000
 * characters, all through the interaction's webhook, the only way a user-installed app may post.
 */
export class AskCommand {
  constructor(
    private readonly engine: ConversationEngine,
    private readonly replyIn: (surface: MessageSurface, threadKey: string) => DiscordReply,
    private readonly log: Logger,
  ) {}

  async run(interaction: ChatInputCommandInteraction, asker: Asker): Promise<void> {
    // A refused person is told privately, as for the other commands; nobody else sees the question.
    if (!this.engine.admits(asker)) {
      await interaction.reply({ content: ACCESS_DENIED_MESSAGE, flags: MessageFlags.Ephemeral });
      return;
    }
    await interaction.deferReply();
    const threadKey = askConversation(interaction);
    this.log.info({ threadKey, user: asker.userId, context: interaction.context, userInstall: interaction.authorizingIntegrationOwners[1] !== undefined }, '/ask');
    const reply = this.replyIn(new InteractionSurface(interaction), threadKey);
    const text = interaction.options.getString('question', true);
    const authorName = interaction.inCachedGuild() ? interaction.member.displayName : interaction.user.displayName;
    try {
      await this.engine.handle({ threadKey, asker, authorName, text }, reply);
    } finally {
      reply.dispose();
    }
  }
}
