import { ActionRowBuilder, ButtonBuilder, ButtonStyle, Routes, type ButtonInteraction, type REST } from 'discord.js';
import { CANCEL_TASK_LABEL, NOT_YOUR_TASK_TEXT, TASK_ENDED_TEXT, type ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { answerPrivately } from './question-answers.js';

const PREFIX = 'task-cancel';

/** The Cancel under a step running as a task; its custom id carries the engine's cancel id. */
export function taskCancelButton(cancelId: string): ActionRowBuilder<ButtonBuilder> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId(`${PREFIX}:${cancelId}`).setLabel(CANCEL_TASK_LABEL).setStyle(ButtonStyle.Secondary));
}

export function isTaskCancelButton(interaction: ButtonInteraction): boolean {
  return interaction.customId.startsWith(`${PREFIX}:`);
}

/**
 * A press on Cancel, answered within Discord's 3 seconds: the asker's is only acknowledged (the turn
 * edits the message when the step ends); anyone else is told privately; a step no longer running
 * loses its button.
 */
export async function onTaskCancelButton(interaction: ButtonInteraction, engine: ConversationEngine, log: Logger): Promise<void> {
  const cancelId = interaction.customId.slice(PREFIX.length + 1);
  const result = await engine.cancelTask(cancelId, interaction.user.id);
  log.info({ cancelId, user: interaction.user.id, result: result.kind }, 'task cancel button pressed');
  if (result.kind === 'answered') return interaction.deferUpdate().then(() => undefined);
  if (result.kind === 'not-yours') return answerPrivately(interaction, NOT_YOUR_TASK_TEXT);
  await interaction.update({ content: TASK_ENDED_TEXT, components: [], allowedMentions: { parse: [] } });
}

/**
 * A line from the bot in a conversation by its thread key (`discord:<guild>:<channel>:<thread>` or
 * `discord:dm:<channel>`), e.g. about a task a previous run left; false when it cannot be posted there.
 * Through REST, so it reaches guilds on other processes' shards too.
 */
export async function postInConversation(rest: REST, threadKey: string, text: string, log: Logger): Promise<boolean> {
  const [, guild, channel, thread] = threadKey.split(':');
  const channelId = guild === 'dm' ? channel : thread;
  if (!channelId) return false;
  try {
    await rest.post(Routes.channelMessages(channelId), { body: { content: text, allowed_mentions: { parse: [] } } });
    return true;
  } catch (error) {
    log.debug({ err: error, threadKey }, 'conversation not reachable');
    return false;
  }
}
