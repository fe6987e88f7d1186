import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { Asker } from '../../access/index.js';
import { ACCESS_DENIED_MESSAGE, type ConversationEngine, type IncomingMessage } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import type { DiscordReply } from './discord-reply.js';
import { askConversation, type ChannelInteraction } from './interaction-conversations.js';
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
    await answerInInteraction({ engine: this.engine, replyIn: this.replyIn }, interaction, { threadKey, asker, text: interaction.options.getString('question', true) });
  }
}

/**
 * Runs a turn whose output goes into a deferred interaction's own replies (`/ask`, `/prompt`), under
 * the name the asker shows there.
 */
export async function answerInInteraction(
  bot: { engine: ConversationEngine; replyIn: (surface: MessageSurface, threadKey: string) => DiscordReply },
  interaction: ChannelInteraction,
  message: Omit<IncomingMessage, 'authorName'>,
): Promise<void> {
  const reply = bot.replyIn(new InteractionSurface(interaction), message.threadKey);
  const authorName = interaction.inCachedGuild() ? interaction.member.displayName : interaction.user.displayName;
  try {
    await bot.engine.handle({ ...message, authorName }, reply);
  } finally {
    reply.dispose();
  }
}
