import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import { toolResultText, type LlmRequest, type ScriptedAnswer } from '../../fakes/fake-llm.js';
import { BOT_ID, BOT_USER_ID, CHANNEL_ID, DM_CHANNEL_ID, OTHER_USER_ID, SIGNING_SECRET, nextTs } from '../../fakes/fake-slack.js';
import { POSTGRES_URL, REDIS_URL, forgetNamespace, postgresAvailable, redisAvailable } from '../../helpers/services.js';
import { APP_TOKEN, BOT_TOKEN, MODES, PLACEHOLDER, answered, channelMessage, dm, expectNothingLeftBehind, mention, startSlackBot, startSlackBotBeside, textOf, type SlackBot } from './slack-bot.js';

const LONG_CODE = Array.from({ length: 120 }, (_, index) => `print("line ${index} of the long answer")`).join('\n');
const LONG_ANSWER = `**Bold start** and [the docs](https://example.com/docs) <!channel>\n\n\`\`\`python\n${LONG_CODE}\n\`\`\`\n\n- first\n- second\n\nThe end.`;
const PARAGRAPHS = Array.from({ length: 12 }, (_, index) => `Paragraph ${index}: ${'words and more words '.repeat(10).trim()}.`).join('\n\n');

/** The model: tools for some questions, a long answer on request, an echo of the question otherwise. */
function script(request: LlmRequest): ScriptedAnswer {
  const question = request.lastUserText;
  const result = toolResultText(request);
  if (question.includes('picture')) return result === undefined ? { toolCall: { tool: 'image', arguments: {} } } : 'Here is the picture.';
  if (question.includes('add')) return result === undefined ? { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } } : `The sum is ${result.split('\n').at(-1)}.`;
  if (question.includes('long answer')) return LONG_ANSWER;
  if (question.includes('many paragraphs')) return PARAGRAPHS;
  return `You said: ${question}`;
}

const fencesBalanced = (text: string) => (text.match(/```/g) ?? []).length % 2 === 0;

describe.each(MODES)('Slack in %s mode', (mode) => {
  let bot: SlackBot;

  beforeAll(async () => {
    bot = await startSlackBot({ mode, script });
  });
  afterAll(async () => {
    await bot?.close();
  });
  beforeEach(() => {
    bot.harness.llm.setScript(script);
    bot.harness.llm.requests.clear();
  });

  const asked = (question: string) => bot.harness.llm.requests.filter((request) => request.lastUserText === question && toolResultText(request) === undefined);
  /** A DM whose answer proves every event delivered before it has been dealt with. */
  const sentinel = async () => {
    const word = `sentinel-${randomUUID().slice(0, 6)}`;
    await bot.deliver(dm(word));
    await answered(bot.slack, `You said: ${word}`);
  };

  it('answers a DM at the top level with a real tool call, the placeholder becoming the answer', async () => {
    const { slack } = bot;
    await bot.deliver(dm('please add 2 and 3'));
    const answer = await answered(slack, 'The sum is 5.');
    expect(answer.method).toBe('chat.update');
    expect(slack.messages.get(answer.args.ts)).toMatchObject({ channel: DM_CHANNEL_ID, threadTs: undefined, text: 'The sum is 5.' });
    expect(bot.harness.llm.requests.items.some((request) => toolResultText(request) === 'Result of add:\n5')).toBe(true);
    expectNothingLeftBehind(slack);
  });

  it('acknowledges an event at once and answers after', async () => {
    bot.harness.llm.setScript(() => ({ delayMs: 400, answer: 'worth the wait' }));
    await bot.deliver(dm('take your time'));
    expect(bot.slack.calls.filter((call) => textOf(call).includes('worth the wait'))).toEqual([]);
    await answered(bot.slack, 'worth the wait');
  });

  it('answers a mention in a thread under the message, and follow-ups there without a mention', async () => {
    const question = mention('hello there');
    await bot.deliver(question);
    const first = await answered(bot.slack, 'You said: hello there');
    expect(bot.slack.messages.get(first.args.ts)).toMatchObject({ channel: CHANNEL_ID, threadTs: question.ts });

    await bot.deliver(channelMessage('what did I say?', { thread_ts: question.ts }));
    const second = await answered(bot.slack, 'You said: what did I say?');
    expect(bot.slack.messages.get(second.args.ts)?.threadTs).toBe(question.ts);
    // Threads are shared: the model reads who wrote each message (Slack's display name).
    expect(asked('what did I say?')[0]!.messages.map((message) => message.content)).toContain('[Ada] hello there');
  });

  it('answers a follow-up sent while the mention that opened the thread is still being handled, after it and in order', async () => {
    const question = mention('first things first');
    // Both events at once: the follow-up is read before the mention has marked the thread as the bot's.
    await Promise.all([bot.deliver(question), bot.deliver(channelMessage('and then this', { thread_ts: question.ts }))]);
    await answered(bot.slack, 'You said: and then this');
    expect(bot.harness.llm.requests.items.map((request) => request.lastUserText).filter((text) => text === 'first things first' || text === 'and then this')).toEqual(['first things first', 'and then this']);
  });

  it("answers a reply in a DM thread in that thread, with that thread's own history", async () => {
    await bot.deliver(dm('the top-level secret is 7'));
    await answered(bot.slack, 'You said: the top-level secret is 7');
    const threadTs = nextTs();
    await bot.deliver(dm('the thread word is kiwi', { thread_ts: threadTs }));
    await answered(bot.slack, 'You said: the thread word is kiwi');
    await bot.deliver(dm('what was the word?', { thread_ts: threadTs }));
    const answer = await answered(bot.slack, 'You said: what was the word?');

    expect(bot.slack.messages.get(answer.args.ts)).toMatchObject({ channel: DM_CHANNEL_ID, threadTs });
    const context = asked('what was the word?')[0]!.messages.map((message) => message.content);
    expect(context).toContain('the thread word is kiwi');
    expect(context).not.toContain('the top-level secret is 7');
  });

  it('ignores channel chatter at the top level and in threads it is not part of', async () => {
    await bot.deliver(channelMessage('a thread without the bot', { thread_ts: nextTs() }));
    await bot.deliver(channelMessage('top-level chatter'));
    await sentinel();
    expect(bot.harness.llm.requests.items.map((request) => request.lastUserText)).toEqual([expect.stringMatching(/^sentinel-/)]);
  });

  it('handles a mention once although app_mention and message both arrive, also in a thread it is part of', async () => {
    const ts = nextTs();
    await bot.deliver(channelMessage(`<@${BOT_USER_ID}> once at the top`, { ts }));
    await bot.deliver(mention('once at the top', { ts }));
    await answered(bot.slack, 'You said: once at the top');

    const inThread = nextTs();
    await bot.deliver(mention('once in the thread', { ts: inThread, thread_ts: ts }));
    await bot.deliver(channelMessage(`<@${BOT_USER_ID}> once in the thread`, { ts: inThread, thread_ts: ts }));
    await answered(bot.slack, 'You said: once in the thread');
    await sentinel();
    expect(asked('once at the top')).toHaveLength(1);
    expect(asked('once in the thread')).toHaveLength(1);
  });

  it('answers a redelivered event once', async () => {
    const event = dm('say this once');
    await bot.deliver(event, { eventId: 'Ev-redelivered' });
    await bot.deliver(event, { eventId: 'Ev-redelivered', retryNum: 1 });
    await answered(bot.slack, 'You said: say this once');
    await bot.deliver(event, { eventId: 'Ev-redelivered', retryNum: 2 });
    await sentinel();
    expect(asked('say this once')).toHaveLength(1);
  });

  /**
   * Two bot processes sharing a Redis or PostgreSQL, each with its own connection and engine: a redelivery
   * Slack sends to the other one is answered only once. Each run writes under a namespace of its own.
   */
  async function answersOnceAcrossInstances(url: string): Promise<void> {
    const namespace = `test-${randomUUID()}`;
    const stores = await Promise.all([0, 1].map(() => openStore({ url, historyTtlMs: 60_000, namespace }, bot.harness.logger)));
    const deployment = await startSlackBotBeside(bot, { stores }).catch(async (error: unknown) => {
      await Promise.all(stores.map((store) => store.close()));
      throw error;
    });
    try {
      const second = await deployment.startInstance();
      const event = dm('one answer between two instances');
      await deployment.deliver(event, { eventId: 'Ev-two-instances' });
      await deployment.deliver(event, { eventId: 'Ev-two-instances', retryNum: 1, via: second });
      await answered(deployment.slack, 'You said: one answer between two instances');
      // Both instances answer a new message each, so the redelivery has been dealt with by now.
      for (const word of ['first', 'second']) {
        await deployment.deliver(dm(`after the redelivery, ${word}`), { via: word === 'first' ? deployment.adapter : second });
        await answered(deployment.slack, `You said: after the redelivery, ${word}`);
      }
      expect(asked('one answer between two instances')).toHaveLength(1);
      expect(deployment.slack.callsOf('chat.postMessage').filter((call) => textOf(call).includes(PLACEHOLDER))).toHaveLength(3);
    } finally {
      await deployment.close();
      await forgetNamespace(stores[0]!, url);
      await Promise.all(stores.map((store) => store.close()));
    }
  }

  it.runIf(redisAvailable)('answers once when a redelivery reaches a second bot instance sharing a Redis store', () => answersOnceAcrossInstances(REDIS_URL));
  it.runIf(postgresAvailable)('answers once when a redelivery reaches a second bot instance sharing a PostgreSQL store', () => answersOnceAcrossInstances(POSTGRES_URL));

  it('ignores bot messages, its own messages, edits, deletes, joins and empty messages', async () => {
    await bot.deliver(dm('from another bot', { bot_id: 'B0000OTHER', user: OTHER_USER_ID }));
    await bot.deliver(dm('from myself', { user: BOT_USER_ID, bot_id: BOT_ID }));
    await bot.deliver(dm('edited', { subtype: 'message_changed' }));
    await bot.deliver(dm('deleted', { subtype: 'message_deleted' }));
    await bot.deliver(channelMessage('<@U0000GRACE> has joined the channel', { subtype: 'channel_join', thread_ts: nextTs() }));
    await bot.deliver(dm('   '));
    await sentinel();
    expect(bot.harness.llm.requests.items).toHaveLength(1);
  });

  it('reads mentions of people and channels, and links, as a person would', async () => {
    await bot.deliver(mention(`ask <@${OTHER_USER_ID}> in <#C0000OTHER|random> about <https://example.com/a|the site> &amp; more`));
    await bot.harness.llm.requests.waitFor((request) => request.lastUserText.startsWith('ask'));
    expect(bot.harness.llm.requests.items.at(-1)!.lastUserText).toBe('ask @Grace in #random about the site (https://example.com/a) & more');
  });

  it('asks for a question when the mention comes without one', async () => {
    const question = mention('');
    await bot.deliver(question);
    const reply = await answered(bot.slack, 'Ask me something');
    expect(reply.args.thread_ts).toBe(question.ts);
    expect(bot.harness.llm.requests.items).toHaveLength(0);
  });

  it('splits a long answer under Slack limits as mrkdwn, code blocks intact and no crowd pings', async () => {
    const { slack } = bot;
    await bot.deliver(dm('give me a long answer'));
    await answered(slack, 'The end.');
    const start = [...slack.messages.values()].find((message) => message.text.includes('Bold start'))!;
    const pieces = slack.messagesIn(DM_CHANNEL_ID, null).filter((message) => message.ts >= start.ts).map((message) => message.text);

    expect(pieces.length).toBeGreaterThanOrEqual(2);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(3500);
      expect(fencesBalanced(piece)).toBe(true);
    }
    expect(pieces[0]).toMatch(/(?<!\*)\*Bold start\*(?!\*)/);
    expect(pieces[0]).toContain('<https://example.com/docs|the docs>');
    expect(pieces[0]).not.toContain('<!channel>');
    expect(pieces.at(-1)).toMatch(/•\s+second/);
    const code = pieces.join('\n').replace(/\n```\n```\n/g, '\n');
    expect(code).toContain(LONG_CODE);
    expectNothingLeftBehind(slack);
  });

  it('shows progress in the placeholder at most once a second, then the answer', async () => {
    const steps = [1, 2, 3].map(() => ({ toolCall: { tool: 'slow', arguments: { ms: 400 } } }));
    bot.harness.llm.setScript((request) => steps[request.index] ?? 'slow work done');
    await bot.deliver(dm('do slow work'));
    const done = await answered(bot.slack, 'slow work done');

    const placeholder = bot.slack.callsOf('chat.postMessage').find((call) => call.result.ts === done.args.ts)!;
    expect(textOf(placeholder)).toContain(PLACEHOLDER);
    const updates = bot.slack.callsOf('chat.update').filter((call) => call.args.ts === done.args.ts);
    const progress = updates.filter((call) => textOf(call) === 'Using `slow` on `fixture`…');
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(updates.at(-1)).toEqual(done);
    const times = [placeholder.at, ...progress.map((call) => call.at)];
    for (let index = 1; index < times.length; index += 1) expect(times[index]! - times[index - 1]!).toBeGreaterThanOrEqual(950);
    expectNothingLeftBehind(bot.slack);
  });

  it('uploads a tool image as a file in the thread', async () => {
    const question = mention('show me a picture');
    await bot.deliver(question);
    const completed = await bot.slack.waitForCall('files.completeUploadExternal');
    expect(completed.args).toMatchObject({ channel_id: CHANNEL_ID, thread_ts: question.ts });
    const [file] = completed.args.files as { id: string; title: string }[];
    expect(file!.title).toMatch(/^image-1\.png$/);
    expect(bot.slack.callsOf('upload').find((call) => call.args.fileId === file!.id)?.args.bytes).toBeGreaterThan(0);
    await answered(bot.slack, 'Here is the picture.');
  });

  it('names an image it could not upload in the thread, and logs why', async () => {
    bot.slack.failNext('files.getUploadURLExternal', 'missing_scope');
    const question = mention('another picture');
    await bot.deliver(question);
    const notice = await answered(bot.slack, '(I could not attach `image-1.png`.)');
    expect(notice.args.thread_ts).toBe(question.ts);
    expect(bot.logs.items.find((line) => line.slackError === 'missing_scope')?.hint).toContain('slack-app-manifest.yaml');
    expect(bot.slack.messagesIn(CHANNEL_ID, question.ts).map((message) => message.text)).toEqual(['Here is the picture.', notice.args.text]);
  });

  it('answers with a short error message when the LLM fails, and nothing else', async () => {
    bot.harness.llm.setScript(() => ({ status: 401 }));
    const question = mention('this will fail');
    await bot.deliver(question);
    const error = await answered(bot.slack, 'language model');
    expect(bot.slack.messagesIn(CHANNEL_ID, question.ts).map((message) => message.text)).toEqual([textOf(error)]);
  });

  it('logs a post Slack refuses (not_in_channel) with the thread and a hint, and keeps answering', async () => {
    bot.slack.failNext('chat.startStream', 'not_in_channel');
    bot.slack.failNext('chat.postMessage', 'not_in_channel', 2);
    const question = mention('a channel I am not in');
    await bot.deliver(question);
    const logged = await bot.logs.waitFor((line) => line.slackError === 'not_in_channel' && line.msg.includes('answer'), { what: 'the refused answer logged' });
    expect(logged.threadKey).toBe(`slack:T0000TEAM:${CHANNEL_ID}:${question.ts}`);
    expect(logged.hint).toContain('/invite');
    await sentinel();
  });

  it('writes an answer Slack finds too long in smaller pieces', async () => {
    bot.slack.maxTextLength = 1_000;
    try {
      await bot.deliver(dm('many paragraphs please'));
      await answered(bot.slack, 'Paragraph 11');
    } finally {
      bot.slack.maxTextLength = 40_000;
    }
    const start = [...bot.slack.messages.values()].find((message) => message.text.startsWith('Paragraph 0'))!;
    const pieces = bot.slack.messagesIn(DM_CHANNEL_ID, null).filter((message) => message.ts >= start.ts).map((message) => message.text);
    expect(bot.slack.calls.filter((call) => call.outcome === 'msg_too_long').length).toBeGreaterThan(0);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(1_000);
    expect(pieces.join('\n\n').replace(/\s+/g, ' ')).toBe(PARAGRAPHS.replace(/\s+/g, ' '));
    expectNothingLeftBehind(bot.slack);
  });

  it('waits out a Slack rate limit and still answers', async () => {
    bot.slack.failNext('chat.postMessage', 'ratelimited');
    await bot.deliver(dm('slow down'));
    await answered(bot.slack, 'You said: slow down');
    const posts = bot.slack.callsOf('chat.postMessage').slice(-2);
    expect(posts.map((call) => call.outcome)).toEqual(['ratelimited', 'ok']);
    expect(textOf(posts[1]!)).toContain(PLACEHOLDER);
  });

  it('lists every fixture tool in ephemeral /tools blocks, and filters by server', async () => {
    const { slack } = bot;
    await bot.command('/tools', '', CHANNEL_ID);
    const listing = await slack.waitForCall('respond', (call) => Array.isArray(call.args.blocks));
    expect(listing.args.response_type).toBe('ephemeral');
    const blocks = listing.args.blocks as { type: string; text?: { text: string } }[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const block of blocks) expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
    for (const tool of bot.harness.pool.tools()) expect(JSON.stringify(blocks)).toContain(`\`${tool.name}\``);

    const since = Date.now();
    await bot.command('/tools', 'fixture', CHANNEL_ID);
    const filtered = await slack.waitForCall('respond', (call) => call.at >= since && Array.isArray(call.args.blocks));
    expect(JSON.stringify(filtered.args.blocks)).toContain('*fixture*');

    await bot.command('/tools', 'nope', CHANNEL_ID);
    const none = await slack.waitForCall('respond', (call) => String(call.args.text).startsWith('No MCP server is named `nope`'));
    expect(none.args).toMatchObject({ response_type: 'ephemeral', text: 'No MCP server is named `nope`. Servers: `fixture`.' });
  });

  it('forgets a DM on /reset, and explains elsewhere that it works in DMs', async () => {
    const { slack } = bot;
    await bot.deliver(dm('my secret is 42'));
    await answered(slack, 'You said: my secret is 42');
    await bot.command('/reset', '', DM_CHANNEL_ID);
    const done = await slack.waitForCall('respond', (call) => String(call.args.text).includes('forgotten'));
    expect(done.args.response_type).toBe('ephemeral');

    await bot.deliver(dm('what is my secret?'));
    await answered(slack, 'You said: what is my secret?');
    expect(asked('what is my secret?')[0]!.messages.map((message) => message.content)).not.toContain('my secret is 42');

    await bot.command('/reset', '', CHANNEL_ID);
    const elsewhere = await slack.waitForCall('respond', (call) => String(call.args.text).startsWith('Use /reset in a DM'));
    expect(elsewhere.args.response_type).toBe('ephemeral');
  });

  it('logs turns by thread and never logs the tokens or the signing secret', async () => {
    await bot.deliver(dm('is this logged?'));
    await answered(bot.slack, 'You said: is this logged?');
    expect(bot.logs.items.some((line) => line.threadKey === `slack:T0000TEAM:${DM_CHANNEL_ID}`)).toBe(true);
    const everything = bot.rawLogs.join('');
    for (const secret of [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET]) expect(everything).not.toContain(secret);
  });
});
