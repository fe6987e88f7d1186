import { MessageFlags, type ButtonInteraction, type ModalSubmitInteraction } from 'discord.js';
import { goneQuestionText, NOT_YOUR_QUESTION_TEXT, type AnswerResult } from '../../engine/index.js';

type AnswerInteraction = ButtonInteraction | ModalSubmitInteraction;

export async function answerPrivately(interaction: AnswerInteraction, content: string): Promise<void> {
  await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

/**
 * What a press or a submitted form came to, answered within Discord's 3 seconds: an answer is only
 * acknowledged (the waiting turn edits the question); anyone else, or an entry that does not fit
 * (`retryHint` says how to try again), is told privately; a question nothing waits for loses its buttons.
 */
export async function acknowledgeAnswer(interaction: AnswerInteraction, result: AnswerResult, retryHint = ''): Promise<void> {
  const onMessage = interaction.isButton() || interaction.isFromMessage();
  if (result.kind === 'answered') {
    if (onMessage) await interaction.deferUpdate();
    return;
  }
  if (result.kind === 'not-yours') return answerPrivately(interaction, NOT_YOUR_QUESTION_TEXT);
  if (result.kind === 'invalid') return answerPrivately(interaction, `${result.message}${retryHint}`);
  const content = goneQuestionText(result);
  if (onMessage) await interaction.update({ content, components: [], allowedMentions: { parse: [] } });
  else await answerPrivately(interaction, content);
}
