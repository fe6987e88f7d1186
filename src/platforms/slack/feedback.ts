import type { App, BlockAction, types } from '@slack/bolt';
import type { Logger } from '../../logging/logger.js';
import { dmThreadKey, threadKey } from './message-router.js';

const FEEDBACK_ACTION = 'answer_feedback';
const VALUES = ['positive', 'negative'] as const;
/** A press on the feedback buttons: thumbs up or down. */
export type FeedbackValue = (typeof VALUES)[number];

/** Where presses are counted (the bot's metrics, as `mcp_bot_feedback_total{platform,value}`). */
export interface FeedbackCounter {
  feedbackGiven(platform: string, value: FeedbackValue): void;
}

/**
 * The thumbs under an answer: a `context_actions` block with one `feedback_buttons` element, which
 * Slack shows as the row of small actions AI apps have under a message. Values are fixed, so a
 * press's label set stays bounded in the metrics.
 */
export function feedbackBlock(): types.KnownBlock {
  return {
    type: 'context_actions',
    elements: [
      {
        type: 'feedback_buttons',
        action_id: FEEDBACK_ACTION,
        positive_button: { text: { type: 'plain_text', text: 'Good answer' }, accessibility_label: 'This answer was helpful', value: 'positive' },
        negative_button: { text: { type: 'plain_text', text: 'Bad answer' }, accessibility_label: 'This answer was not helpful', value: 'negative' },
      },
    ],
  };
}

/** Presses on the feedback buttons: logged with the thread they were given in, and counted. */
export function registerFeedbackActions(app: App, counter: FeedbackCounter | undefined, log: Logger): void {
  app.action<BlockAction>({ type: 'block_actions', action_id: FEEDBACK_ACTION }, async ({ ack, body, action }) => {
    await ack();
    const value = 'value' in action ? VALUES.find((known) => known === action.value) : undefined;
    if (!value) return;
    const channel = body.container?.channel_id ?? body.channel?.id ?? '';
    const threadTs = body.container?.thread_ts ?? body.message?.thread_ts;
    const team = body.team?.id ?? '';
    const key = threadTs ? threadKey(team, channel, threadTs) : dmThreadKey(team, channel);
    log.info({ threadKey: key, value, user: body.user.id, messageTs: body.container?.message_ts }, 'feedback on an answer');
    counter?.feedbackGiven('slack', value);
  });
}
