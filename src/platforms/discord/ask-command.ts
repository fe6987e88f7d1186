import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { Asker } from '../../access/index.js';
import { ACCESS_DENIED_MESSAGE, type ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { askConversation, interactionTurn } from './interaction-conversations.js';
import type { DiscordTurn } from './turn-job.js';

/** Puts a turn in its thread's line in the turn queue. */
export type EnqueueTurn = (threadKey: string, turn: DiscordTurn) => Promise<void>;

/**
 * `/ask <question>`: a turn answered in the interaction itself, where the app may be used without the
 * bot being there (a user install in any server, DM or group DM). Deferred at once (Discord's
 * 3-second window), then queued; whichever process runs the turn streams the answer into the deferred
 * reply, with follow-ups past 2,000 characters, all through the interaction's webhook, the only way a
 * user-installed app may post.
 */
export class AskCommand {
  constructor(
    private readonly engine: ConversationEngine,
    private readonly enqueue: EnqueueTurn,
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
    await this.enqueue(threadKey, interactionTurn(interaction, asker, { text: interaction.options.getString('question', true) }));
  }
}
