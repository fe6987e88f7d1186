import type { RespondFn, types } from '@slack/bolt';
import { goneQuestionText, NOT_YOUR_QUESTION_TEXT, type AnswerResult } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { failureFields } from './slack-failures.js';

/** A question's message once it has no inputs left: its text alone. */
export function textBlocks(mrkdwn: string): types.KnownBlock[] {
  return [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }];
}

/**
 * What a press on a question came to. An answer needs nothing more here (the waiting turn updates the
 * question); anyone else, or an entry that does not fit (`retryHint` says how to try again), is told
 * privately; a question nothing waits for loses its buttons.
 */
export async function acknowledgeAnswer(respond: RespondFn, result: AnswerResult, log: Logger, retryHint = ''): Promise<void> {
  try {
    if (result.kind === 'not-yours') await respond({ response_type: 'ephemeral', replace_original: false, text: NOT_YOUR_QUESTION_TEXT });
    if (result.kind === 'invalid') await respond({ response_type: 'ephemeral', replace_original: false, text: `${result.message}${retryHint}` });
    if (result.kind === 'gone') {
      const text = goneQuestionText(result);
      await respond({ replace_original: true, text, blocks: textBlocks(text) });
    }
  } catch (error) {
    log.warn(failureFields(error), 'answer to a question could not be acknowledged');
  }
}
