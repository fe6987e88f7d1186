import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackAdapter } from '../../../src/platforms/slack/index.js';
import type { LlmRequest } from '../../fakes/fake-llm.js';
import { BOT_ID, BOT_USER_ID, CHANNEL_ID, DM_CHANNEL_ID, FakeSlack, OTHER_USER_ID, SIGNING_SECRET, USER_ID, nextTs, type SlackCall } from '../../fakes/fake-slack.js';
import { startEngineHarness, type EngineHarness } from '../../helpers/engine-harness.js';

const lastContent = (request: LlmRequest) => String(request.messages.at(-1)?.content ?? '');
const isFeedback = (request: LlmRequest) => lastContent(request).startsWith('[tool] ');
const textOf = (call: SlackCall) => String(call.args.text ?? '');
const fencesBalanced = (text: string) => (text.match(/```/g) ?? []).length % 2 === 0;

function script(request: LlmRequest) {
  const question = request.lastUserText;
  if (question.includes('picture')) return isFeedback(request) ? 'Here is the picture.' : { toolCall: { tool: 'image', arguments: {} } };
  if (isFeedback(request)) return `The sum is ${lastContent(request).split('\n')[1]}.`;
  if (question.includes('add')) return { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } };
  if (question.includes('long answer')) {
    const code = Array.from({ length: 120 }, (_, index) => `print("line ${index} of the long answer")`).join('\n');
    return `**Bold start** and [the docs](https://example.com/docs) <!channel>\n\n\`\`\`python\n${code}\n\`\`\`\n\n- first\n- second\n\nThe end.`;
  }
  return `You said: ${question}`;
}

interface Driver {
  adapter: SlackAdapter;
  /** Delivers an event the way this mode does and waits until Slack would consider it delivered. */
  deliver(event: Record<string, unknown>, options?: { eventId?: string; retryNum?: number }): Promise<void>;
  command(command: string, text: string, channel: string): Promise<void>;
}

type Mode = 'http' | 'socket';

async function startDriver(mode: Mode, slack: FakeSlack, harness: EngineHarness): Promise<Driver> {
  const settings = mode === 'http'
    ? { botToken: 'xoxb-test', appToken: undefined, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl }
    : { botToken: 'xoxb-test', appToken: 'xapp-test', signingSecret: undefined, apiUrl: slack.apiUrl };
  const adapter = new SlackAdapter({ settings, port: 0, engine: harness.engine, kv: harness.store.kv, logger: harness.logger, clientOptions: { retryConfig: { retries: 0 } } });
  await adapter.start();
  if (mode === 'http') {
    return {
      adapter,
      async deliver(event, options = {}) {
        const response = await slack.postToBot(adapter.httpPort!, JSON.stringify(slack.eventCallback(event, options.eventId)), { retryNum: options.retryNum });
        expect(response.status).toBe(200);
      },
      async command(command, text, channel) {
        const response = await slack.postToBot(adapter.httpPort!, new URLSearchParams(slack.slashCommand(command, text, channel)).toString(), { contentType: 'application/x-www-form-urlencoded' });
        expect(response.status).toBe(200);
      },
    };
  }
  return {
    adapter,
    async deliver(event, options = {}) {
      const envelopeId = slack.sendEnvelope('events_api', slack.eventCallback(event, options.eventId), options.retryNum ?? 0);
      await slack.acks.waitFor((ack) => ack.envelope_id === envelopeId, { what: 'the ack' });
    },
    async command(command, text, channel) {
      const envelopeId = slack.sendEnvelope('slash_commands', slack.slashCommand(command, text, channel));
      await slack.acks.waitFor((ack) => ack.envelope_id === envelopeId, { what: 'the ack' });
    },
  };
}

const dm = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'message', channel: DM_CHANNEL_ID, channel_type: 'im', user: USER_ID, text, ts: nextTs(), ...extra });
const mention = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'app_mention', channel: CHANNEL_ID, user: USER_ID, text: `<@${BOT_USER_ID}> ${text}`, ts: nextTs(), ...extra });
const channelMessage = (text: string, extra: Record<string, unknown> = {}) => ({ type: 'message', channel: CHANNEL_ID, channel_type: 'channel', user: USER_ID, text, ts: nextTs(), ...extra });

describe.each<Mode>(['http', 'socket'])('Slack adapter in %s mode against a fake Slack', (mode) => {
  let harness: EngineHarness;
  let slack: FakeSlack;
  let driver: Driver;

  beforeAll(async () => {
    harness = await startEngineHarness({ script });
    slack = await FakeSlack.start();
    driver = await startDriver(mode, slack, harness);
  });
  afterAll(async () => {
    await driver?.adapter.stop();
    await slack?.close();
    await harness?.close();
  });
  beforeEach(() => {
    harness.llm.setScript(script);
    harness.llm.requests.clear();
  });

  const answered = (text: string) => slack.waitForCall('chat.update', (call) => textOf(call).includes(text));
  /** A DM whose answer proves every event delivered before it has been dealt with. */
  const sentinel = async () => {
    const word = `sentinel-${randomUUID().slice(0, 6)}`;
    await driver.deliver(dm(word));
    await answered(`You said: ${word}`);
  };

  it('answers a DM at the top level, using a tool, replacing its placeholder', async () => {
    await driver.deliver(dm('please add 2 and 3'));
    const answer = await answered('The sum is 5.');
    const placeholder = slack.callsOf('chat.postMessage').find((call) => call.args.ts === undefined && call.args.channel === DM_CHANNEL_ID && textOf(call).includes('Working on it'));
    expect(placeholder?.args.thread_ts).toBeUndefined();
    expect(answer.args.channel).toBe(DM_CHANNEL_ID);
    expect(harness.llm.requests.items.some((request) => lastContent(request) === '[tool] Result of add:\n5')).toBe(true);
  });

  it('answers a mention in a thread under the message, and follow-ups there without a mention', async () => {
    const question = mention('hello there');
    await driver.deliver(question);
    await answered('You said: hello there');
    const placeholder = slack.callsOf('chat.postMessage').findLast((call) => call.args.channel === CHANNEL_ID);
    expect(placeholder?.args.thread_ts).toBe(question.ts);

    await driver.deliver(channelMessage('what did I say?', { thread_ts: question.ts }));
    await answered('You said: what did I say?');
    expect(harness.llm.requests.items.at(-1)!.messages.map((message) => message.content)).toContain('hello there');
  });

  it('ignores channel chatter in threads it is not part of', async () => {
    await driver.deliver(channelMessage('a thread without the bot', { thread_ts: nextTs() }));
    await driver.deliver(channelMessage('top-level chatter'));
    await sentinel();
    expect(harness.llm.requests.items.map((request) => request.lastUserText)).toEqual([expect.stringMatching(/^sentinel-/)]);
  });

  it('handles a mention once although app_mention and message both arrive', async () => {
    const ts = nextTs();
    await driver.deliver(channelMessage(`<@${BOT_USER_ID}> only once please`, { ts }));
    await driver.deliver(mention('only once please', { ts }));
    await answered('You said: only once please');
    await sentinel();
    expect(harness.llm.requests.filter((request) => request.lastUserText === 'only once please')).toHaveLength(1);
  });

  it('answers a redelivered event once', async () => {
    const event = dm('say this once');
    await driver.deliver(event, { eventId: 'Ev-retried' });
    await driver.deliver(event, { eventId: 'Ev-retried', retryNum: 1 });
    await answered('You said: say this once');
    await sentinel();
    expect(harness.llm.requests.filter((request) => request.lastUserText === 'say this once')).toHaveLength(1);
  });

  it('ignores bot messages, its own messages and edits', async () => {
    await driver.deliver(dm('from a bot', { bot_id: 'B0000OTHER', user: OTHER_USER_ID }));
    await driver.deliver(dm('from myself', { user: BOT_USER_ID, bot_id: BOT_ID }));
    await driver.deliver(dm('edited', { subtype: 'message_changed' }));
    await driver.deliver(dm('   '));
    await sentinel();
    expect(harness.llm.requests.items).toHaveLength(1);
  });

  it('turns mentions of people into names', async () => {
    await driver.deliver(mention(`ask <@${OTHER_USER_ID}> in <#C0000OTHER|random>`));
    await answered('You said: ask @Grace in #random');
  });

  it('splits a long answer under Slack limits and converts it to mrkdwn', async () => {
    await driver.deliver(dm('give me a long answer'));
    await slack.waitForCall('chat.postMessage', (call) => textOf(call).includes('The end.'));
    const update = slack.callsOf('chat.update').findLast((call) => textOf(call).includes('Bold start'))!;
    const pieces = [update, ...slack.callsOf('chat.postMessage').filter((call) => call.at >= update.at && call.args.channel === DM_CHANNEL_ID)].map(textOf);
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(4000);
      expect(fencesBalanced(piece)).toBe(true);
    }
    expect(pieces[0]).toMatch(/\*Bold start\*/);
    expect(pieces[0]).toContain('<https://example.com/docs|the docs>');
    expect(pieces[0]).not.toContain('<!channel>');
    expect(pieces.join('\n')).toContain('print("line 119 of the long answer")');
  });

  it('shows progress in the placeholder, then the answer, leaving nothing behind', async () => {
    const steps = [1, 2, 3].map(() => ({ toolCall: { tool: 'slow', arguments: { ms: 500 } } }));
    harness.llm.setScript((request) => steps[request.index] ?? 'slow work done');
    await driver.deliver(dm('do slow work'));
    const done = await answered('slow work done');
    const placeholder = slack.callsOf('chat.postMessage').findLast((call) => textOf(call).includes('Working on it'))!;
    const updates = slack.callsOf('chat.update').filter((call) => call.args.ts === done.args.ts);
    expect(updates.some((call) => textOf(call) === 'Using `slow` on `fixture`…')).toBe(true);
    expect(updates.at(-1)).toBe(done);
    const progressTimes = [placeholder.at, ...updates.filter((call) => textOf(call).startsWith('Using')).map((call) => call.at)];
    for (let index = 1; index < progressTimes.length; index += 1) expect(progressTimes[index]! - progressTimes[index - 1]!).toBeGreaterThanOrEqual(950);
  });

  it('uploads tool images into the thread', async () => {
    const question = mention('show me a picture');
    await driver.deliver(question);
    const completed = await slack.waitForCall('files.completeUploadExternal');
    expect(completed.args).toMatchObject({ channel_id: CHANNEL_ID, thread_ts: question.ts });
    expect(slack.callsOf('upload').length).toBeGreaterThanOrEqual(1);
  });

  it('tells the user in the thread when the LLM fails', async () => {
    harness.llm.setScript(() => ({ status: 500, body: '{"error":{"message":"down"}}' }));
    await driver.deliver(mention('this will fail'));
    await answered('language model');
  });

  it('keeps answering after Slack refuses a post (not_in_channel)', async () => {
    slack.failNext('chat.postMessage', 'not_in_channel', 2);
    await driver.deliver(mention('a channel I am not in'));
    // Both the placeholder and the answer are refused; the attempt is still made, then logged.
    await slack.waitForCall('chat.postMessage', (call) => textOf(call).includes('You said: a channel I am not in'));
    await sentinel();
  });

  it('posts an answer Slack finds too long in smaller parts', async () => {
    slack.failNext('chat.update', 'msg_too_long');
    await driver.deliver(dm('this answer is too long for slack'));
    await slack.waitForCall('chat.update', (call) => textOf(call).includes('it follows in parts'));
    await slack.waitForCall('chat.postMessage', (call) => textOf(call).includes('You said: this answer is too long for slack'));
  });

  it('lists every fixture tool in ephemeral /tools blocks, and filters by server', async () => {
    await driver.command('/tools', '', CHANNEL_ID);
    const listing = await slack.waitForCall('respond', (call) => Array.isArray(call.args.blocks));
    expect(listing.args.response_type).toBe('ephemeral');
    const text = JSON.stringify(listing.args.blocks);
    for (const tool of harness.pool.tools()) expect(text).toContain(`\`${tool.name}\``);
    for (const block of listing.args.blocks as { text?: { text: string } }[]) expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3000);

    await driver.command('/tools', 'nope', CHANNEL_ID);
    await slack.waitForCall('respond', (call) => call.args.text === 'No MCP server is named `nope`.');
  });

  it('forgets a DM on /reset and explains it elsewhere', async () => {
    await driver.deliver(dm('my secret is 42'));
    await answered('You said: my secret is 42');
    await driver.command('/reset', '', DM_CHANNEL_ID);
    await slack.waitForCall('respond', (call) => String(call.args.text).includes('forgotten'));
    harness.llm.requests.clear();
    await driver.deliver(dm('what is my secret?'));
    await answered('You said: what is my secret?');
    expect(harness.llm.requests.items[0]!.messages.map((message) => message.content)).not.toContain('my secret is 42');

    await driver.command('/reset', '', CHANNEL_ID);
    await slack.waitForCall('respond', (call) => String(call.args.text).startsWith('Use /reset in a DM'));
  });
});

describe('Slack adapter shutting down', () => {
  it('finishes the turn in flight before disconnecting', async () => {
    const harness = await startEngineHarness({ script: (request) => (isFeedback(request) ? 'finished the slow work' : { toolCall: { tool: 'slow', arguments: { ms: 600 } } }) });
    const slack = await FakeSlack.start();
    const driver = await startDriver('socket', slack, harness);
    try {
      await driver.deliver(dm('do something slow'));
      await harness.llm.requests.waitFor(() => true);
      await driver.adapter.stop();
      expect(slack.callsOf('chat.update').map(textOf)).toContain('finished the slow work');
    } finally {
      await slack.close();
      await harness.close();
    }
  });
});

describe('Slack HTTP mode request checks', () => {
  let harness: EngineHarness;
  let slack: FakeSlack;
  let driver: Driver;

  beforeAll(async () => {
    harness = await startEngineHarness({ servers: [] });
    slack = await FakeSlack.start();
    driver = await startDriver('http', slack, harness);
  });
  afterAll(async () => {
    await driver?.adapter.stop();
    await slack?.close();
    await harness?.close();
  });

  it('answers the url_verification challenge', async () => {
    const response = await slack.postToBot(driver.adapter.httpPort!, JSON.stringify({ type: 'url_verification', token: 't', challenge: 'challenge-123' }));
    expect(response.status).toBe(200);
    expect(response.body).toContain('challenge-123');
  });

  it('rejects a bad signature with 401 and posts nothing', async () => {
    const response = await slack.postToBot(driver.adapter.httpPort!, JSON.stringify(slack.eventCallback(dm('forged'))), { badSignature: true });
    expect(response.status).toBe(401);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(0);
    expect(harness.llm.requests.items).toHaveLength(0);
  });
});
