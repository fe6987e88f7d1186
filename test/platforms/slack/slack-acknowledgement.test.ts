import { afterEach, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../../src/platforms/slack/index.js';
import type { QueueCounts, TurnJob, TurnQueue } from '../../../src/queue/index.js';
import { APP_TOKEN, BOT_TOKEN } from './slack-bot.js';
import { BOT_USER_ID, CHANNEL_ID, FakeSlack, SIGNING_SECRET, USER_ID, nextTs } from '../../fakes/fake-slack.js';
import { testLogger } from '../../helpers/logger.js';
import { Recorder } from '../../helpers/recorder.js';
import { runCleanups } from '../../helpers/teardown.js';

/** A queue that records what it is given and, while `down`, refuses it as an unreachable Redis does. */
class QueueDouble implements TurnQueue {
  readonly kind = 'redis';
  readonly jobs = new Recorder<TurnJob>();
  readonly attempts = new Recorder<TurnJob>();
  down = false;
  async enqueue(job: TurnJob): Promise<'queued' | 'duplicate'> {
    this.attempts.push(job);
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    this.jobs.push(job);
    return 'queued';
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async counts(): Promise<QueueCounts> {
    return { waiting: this.jobs.items.length, active: 0, stalled: 0 };
  }
  running(): number {
    return 0;
  }
  async close(): Promise<void> {}
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await runCleanups(cleanups.splice(0));
});

async function startAdapter(mode: 'http' | 'socket') {
  const slack = await FakeSlack.start();
  cleanups.push(() => slack.close());
  const queue = new QueueDouble();
  const settings = mode === 'http' ? { botToken: BOT_TOKEN, appToken: undefined, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl } : { botToken: BOT_TOKEN, appToken: APP_TOKEN, signingSecret: undefined, apiUrl: slack.apiUrl };
  const adapter = new SlackAdapter({ settings, port: 0, engine: undefined as never, queue, kv: undefined as never, logger: testLogger() });
  await adapter.start();
  cleanups.push(() => adapter.stop());
  return { slack, queue, adapter };
}

const mention = (text: string) => ({ type: 'app_mention', channel: CHANNEL_ID, user: USER_ID, text: `<@${BOT_USER_ID}> ${text}`, ts: nextTs() });

describe('Slack acknowledges an event only once it is on the turn queue', () => {
  it('HTTP: 200 after the job is queued; 500 while the queue cannot take it, so Slack delivers it again', async () => {
    const { slack, queue, adapter } = await startAdapter('http');
    const taken = await slack.postToBot(adapter.httpPort!, JSON.stringify(slack.eventCallback(mention('first'))));
    expect(taken.status).toBe(200);
    expect(queue.jobs.items.map((job) => job.threadKey)).toHaveLength(1);

    queue.down = true;
    const refused = await slack.postToBot(adapter.httpPort!, JSON.stringify(slack.eventCallback(mention('while Redis is down'))));
    expect(refused.status).toBe(500);
    expect(queue.jobs.items).toHaveLength(1);
  });

  it('Socket Mode: the envelope is acknowledged after the job is queued, and not at all while the queue cannot take it', async () => {
    const { slack, queue } = await startAdapter('socket');
    queue.down = true;
    const refused = slack.sendEnvelope('events_api', slack.eventCallback(mention('while Redis is down')));
    await queue.attempts.waitFor(() => true, { what: 'the bot trying to queue the first event' });
    queue.down = false;
    const taken = slack.sendEnvelope('events_api', slack.eventCallback(mention('once it is back')));
    await slack.acks.waitFor((ack) => ack.envelope_id === taken, { what: 'the second envelope acknowledged' });
    const job = await queue.jobs.waitFor(() => true);
    expect(job.data).toMatchObject({ kind: 'message', event: { text: `<@${BOT_USER_ID}> once it is back` } });
    expect(slack.acks.items.map((ack) => ack.envelope_id)).not.toContain(refused);
  });
});
