import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TurnTakenOverError, type JobData, type TurnJob, type TurnLease } from '../../../src/queue/index.js';
import { messageClaimKey } from '../../../src/platforms/slack/message-router.js';
import { BOT_TOKEN, CHANNEL_ID, DM_CHANNEL_ID, TEAM_ID, USER_ID, nextTs, type SlackMessage } from '../../fakes/fake-slack.js';
import { recordLatency, sharedLease } from '../../helpers/turn-queue.js';
import { dm, mention, startSlackBot, type SlackBot } from './slack-bot.js';

/** A mention's turn job, as the adapter queued it on the process that received the event. */
function jobFor(event: ReturnType<typeof mention>): TurnJob {
  return { id: messageClaimKey(TEAM_ID, event), threadKey: `slack:${TEAM_ID}:${CHANNEL_ID}:${event.ts}`, orderMs: Date.now(), platform: 'slack', data: { kind: 'message', teamId: TEAM_ID, event, assistant: false } };
}

/** A run after the process that ran the job first died, having started `earlier` streams. */
function takeOver(earlier: JobData[], interruptedTool?: TurnLease['interruptedTool'], savedAnswer?: string): TurnLease {
  return sharedLease({ attempt: 2, earlierReplies: earlier, interruptedTool, ...(savedAnswer === undefined ? {} : { savedAnswer }) });
}

describe('Slack: a turn taken over from a process that died mid-answer (fake Slack, fake LLM)', () => {
  let bot: SlackBot;
  beforeAll(async () => {
    bot = await startSlackBot({ mode: 'http', script: (request) => `answer to ${request.lastUserText}` });
  });
  afterAll(() => bot?.close());

  /** The cut-off answer the dead process left: a stream Slack still shows as streaming. */
  async function cutOffStream(threadTs: string): Promise<SlackMessage> {
    const deadProcess = new WebClient(BOT_TOKEN, { slackApiUrl: bot.slack.apiUrl });
    const started = await deadProcess.chat.startStream({ channel: CHANNEL_ID, thread_ts: threadTs, recipient_user_id: USER_ID, recipient_team_id: TEAM_ID, markdown_text: 'answer to half' });
    return bot.slack.messages.get(started.ts!)!;
  }

  it('removes the cut-off answer when it answers again, so the thread shows one answer', async () => {
    const event = mention('the question', { ts: nextTs() });
    const cut = await cutOffStream(event.ts);
    await bot.adapter.runJob(jobFor(event), takeOver([{ channel: CHANNEL_ID, ts: cut.ts }]));
    const thread = bot.slack.messagesIn(CHANNEL_ID, event.ts);
    expect(thread.map((message) => message.text)).toEqual([expect.stringContaining('answer to')]);
    expect(thread[0]!.ts).not.toBe(cut.ts);
    expect(bot.slack.callsOf('chat.delete').map((call) => call.args.ts)).toContain(cut.ts);
  });

  it('removes the answer a stopped process had posted whole in a top-level DM before its job was done, so the DM shows one answer', async () => {
    const event = dm('a DM question');
    const deadProcess = new WebClient(BOT_TOKEN, { slackApiUrl: bot.slack.apiUrl });
    const earlier = await deadProcess.chat.postMessage({ channel: DM_CHANNEL_ID, text: 'answer to a DM question' });
    const job: TurnJob = { id: messageClaimKey(TEAM_ID, event), threadKey: `slack:${TEAM_ID}:${DM_CHANNEL_ID}`, orderMs: Date.now(), platform: 'slack', data: { kind: 'message', teamId: TEAM_ID, event, assistant: false } };
    await bot.adapter.runJob(job, takeOver([{ channel: DM_CHANNEL_ID, ts: earlier.ts! }]));
    const answers = bot.slack.messagesIn(DM_CHANNEL_ID, null).filter((message) => message.text.includes('answer to'));
    expect(answers).toHaveLength(1);
    expect(answers[0]!.ts).not.toBe(earlier.ts);
  });

  it('shows the answer the stopped process had saved but not shown whole, in place of its cut-off one, without asking the model or running the tool again', async () => {
    const event = mention('the question answered as the process died', { ts: nextTs() });
    const cut = await cutOffStream(event.ts);
    const modelCalls = bot.harness.llm.requests.items.length;
    await bot.adapter.runJob(jobFor(event), takeOver([{ channel: CHANNEL_ID, ts: cut.ts }], { step: 1, server: 'fixture', tool: 'echo' }, 'the whole saved answer'));
    const thread = bot.slack.messagesIn(CHANNEL_ID, event.ts);
    expect(thread.map((message) => message.text)).toEqual([expect.stringContaining('the whole saved answer')]);
    expect(thread[0]!.ts).not.toBe(cut.ts);
    expect(bot.harness.llm.requests.items.length).toBe(modelCalls);
  });

  it('keeps it, closed, above the line saying the turn was interrupted in a tool', async () => {
    const event = mention('the other question', { ts: nextTs() });
    const cut = await cutOffStream(event.ts);
    await bot.adapter.runJob(jobFor(event), takeOver([{ channel: CHANNEL_ID, ts: cut.ts }], { step: 1, server: 'fixture', tool: 'echo' }));
    const thread = bot.slack.messagesIn(CHANNEL_ID, event.ts);
    expect(thread.map((message) => message.ts)).toContain(cut.ts);
    expect(cut.stream?.open).toBe(false);
    expect(thread.at(-1)!.text).toContain('I was interrupted while using `echo` (fixture)');
  });
});

describe('Slack: a turn another process may take over records each message before it shows answer text (fake Slack, fake LLM)', () => {
  let bot: SlackBot;
  beforeAll(async () => {
    bot = await startSlackBot({ mode: 'http', script: (request) => `answer to ${request.lastUserText}` });
  });
  afterAll(() => bot?.close());

  /**
   * A first run on a shared queue whose records take a while, as a Redis round trip does: each
   * message's text is read as its record completes. A message that showed the answer by then is one
   * a process killed meanwhile would leave for the take-over to post again.
   */
  function slowRecordingLease(): { lease: TurnLease; shownWhenRecorded: Map<string, string> } {
    const shownWhenRecorded = new Map<string, string>();
    const lease = sharedLease({
      replyStarted: async (reply) => {
        const { ts } = reply as { ts: string };
        // Text sent without waiting for the record would reach Slack meanwhile.
        await recordLatency();
        shownWhenRecorded.set(ts, bot.slack.messages.get(ts)?.text ?? '');
      },
    });
    return { lease, shownWhenRecorded };
  }

  const expectRecordedBeforeShown = (messages: SlackMessage[], shownWhenRecorded: Map<string, string>) => {
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) {
      expect(shownWhenRecorded.has(message.ts)).toBe(true);
      expect(shownWhenRecorded.get(message.ts)).not.toContain('answer to');
    }
  };

  it('starts a streamed answer empty and sends its text once the message is recorded', async () => {
    const event = mention('a streamed question', { ts: nextTs() });
    const { lease, shownWhenRecorded } = slowRecordingLease();
    await bot.adapter.runJob(jobFor(event), lease);
    const thread = bot.slack.messagesIn(CHANNEL_ID, event.ts);
    expect(thread.map((message) => message.text)).toEqual([expect.stringContaining('answer to a streamed question')]);
    expectRecordedBeforeShown(thread, shownWhenRecorded);
  });

  it('posts a top-level DM answer, every piece of a long one included, as a recorded placeholder that is then filled', async () => {
    const long = `a long DM question ${'word '.repeat(720)}`;
    for (const question of ['a short DM question', long]) {
      const { lease, shownWhenRecorded } = slowRecordingLease();
      const event = dm(question);
      const job: TurnJob = { id: messageClaimKey(TEAM_ID, event), threadKey: `slack:${TEAM_ID}:${DM_CHANNEL_ID}`, orderMs: Date.now(), platform: 'slack', data: { kind: 'message', teamId: TEAM_ID, event, assistant: false } };
      await bot.adapter.runJob(job, lease);
      const turnMessages = bot.slack.messagesIn(DM_CHANNEL_ID, null).filter((message) => Number(message.ts) > Number(event.ts));
      expect(turnMessages.map((message) => message.text).join('')).toContain(`answer to ${question.slice(0, 30)}`);
      if (question === long) expect(turnMessages.length).toBeGreaterThan(1);
      expectRecordedBeforeShown(turnMessages, shownWhenRecorded);
    }
  });

  it('removes what it showed when another process took the turn over meanwhile, so the thread shows that process\'s answer alone', async () => {
    // Written in pieces, so the thread shows some of it before the turn learns it was taken over.
    bot.harness.llm.setScript(() => ({ chunks: ['answer to a question ', 'another process ', 'answers'], intervalMs: 50 }));
    const event = mention('a question another process answers', { ts: nextTs() });
    const { lease } = slowRecordingLease();
    lease.answerSaved = async () => {
      throw new TurnTakenOverError('job');
    };
    await bot.adapter.runJob(jobFor(event), lease);
    const shown = bot.slack.callsOf('chat.startStream').filter((call) => call.args.thread_ts === event.ts);
    expect(shown).toHaveLength(1);
    expect(bot.slack.messagesIn(CHANNEL_ID, event.ts)).toEqual([]);
    expect(bot.slack.callsOf('chat.delete').map((call) => call.args.ts)).toContain(shown[0]!.result?.ts);
    // The 👀 that said the bot was on it goes too.
    expect(bot.slack.callsOf('reactions.remove').map((call) => call.args.timestamp)).toContain(event.ts);
  });
});
