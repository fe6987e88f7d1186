import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, type TextChannel } from 'discord.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImageAttachment, ToolStep } from '../../../src/engine/index.js';
import { DiscordReply } from '../../../src/platforms/discord/discord-reply.js';
import { CHANNEL_ID, FakeDiscord, type RestCall } from '../../fakes/fake-discord.js';
import { capturingLogger } from '../../helpers/logger.js';
import { TOKEN, contentOf, expectNoPings } from './discord-bot.js';

const step = (tool: string, n: number): ToolStep => ({ tool, server: 'fixture', step: n });
const image = (n: number): ImageAttachment => ({ data: Buffer.from('png'), mimeType: 'image/png', filename: `image-${n}.png` });
const MESSAGES = new RegExp(`^/channels/${CHANNEL_ID}/messages$`);
const A_MESSAGE = new RegExp(`^/channels/${CHANNEL_ID}/messages/\\d+$`);
const TYPING = new RegExp(`^/channels/${CHANNEL_ID}/typing$`);

describe('DiscordReply through discord.js (fake Discord)', () => {
  let discord: FakeDiscord;
  let client: Client;
  let channel: TextChannel;
  let callsBefore = 0;
  let reply: DiscordReply | undefined;

  beforeAll(async () => {
    discord = await FakeDiscord.start();
    client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: discord.apiUrl } });
    const ready = once(client, Events.ClientReady);
    await client.login(TOKEN);
    await ready;
    channel = client.channels.cache.get(CHANNEL_ID) as TextChannel;
  });
  afterAll(async () => {
    await client?.destroy();
    await discord?.close();
  });
  beforeEach(() => {
    callsBefore = discord.rest.items.length;
  });
  afterEach(() => {
    reply?.dispose();
    reply = undefined;
    vi.useRealTimers();
    expectNoPings(since());
  });

  const since = (): RestCall[] => discord.rest.items.slice(callsBefore);
  const accepted = (method: string, path: RegExp) => since().filter((call) => call.method === method && path.test(call.path) && call.status < 300);
  const posted = () => accepted('POST', MESSAGES);
  const edited = () => accepted('PATCH', A_MESSAGE);
  const typed = () => accepted('POST', TYPING);
  /** The time-outs and intervals of a turn on a clock the test moves; sockets and the fake still run on real time. */
  const fakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  const start = (logger = capturingLogger().logger) => (reply = new DiscordReply({ channel }, logger));
  const waitForCalls = (method: string, path: RegExp, count: number) =>
    discord.rest.waitFor(() => accepted(method, path).length >= count, { what: `${count} × ${method} ${path}` });

  it('keeps the typing indicator alive every 8 seconds until the answer, then stops', async () => {
    fakeClock();
    const turn = start();
    await waitForCalls('POST', TYPING, 1);
    await vi.advanceTimersByTimeAsync(16_000);
    await waitForCalls('POST', TYPING, 3);
    await turn.final({ text: 'done', images: [] });
    turn.dispose();
    await vi.advanceTimersByTimeAsync(30_000);
    // discord.js sends one route's requests in order: once this one is in, any the bot still sent would be too.
    await channel.sendTyping();
    expect(typed()).toHaveLength(4);
  });

  it('edits the progress message at most once a second, showing the latest step', async () => {
    fakeClock();
    const turn = start();
    await turn.progress(step('echo', 1));
    await turn.progress(step('add', 2));
    await turn.progress(step('slow', 3));
    expect(posted().map(contentOf)).toEqual(['Using `echo` on `fixture`…']);
    await vi.advanceTimersByTimeAsync(1_000);
    await waitForCalls('PATCH', A_MESSAGE, 1);
    await turn.progress(step('fail', 4));
    await vi.advanceTimersByTimeAsync(1_000);
    await waitForCalls('PATCH', A_MESSAGE, 2);

    expect(edited().map(contentOf)).toEqual(['Using `slow` on `fixture`…', 'Using `fail` on `fixture`…']);
    expect(new Set(edited().map((call) => call.path))).toEqual(new Set([`/channels/${CHANNEL_ID}/messages/${posted()[0]!.response.id}`]));
    // The fake stamps calls with the test's clock: a second between writes of the one message.
    const writes = [posted()[0]!, ...edited()].map((call) => call.at);
    expect(writes.slice(1).map((at, index) => at - writes[index]!)).toEqual([1_000, 1_000]);
  });

  it('turns the progress message into the answer, dropping a progress edit still waiting', async () => {
    fakeClock();
    const turn = start();
    await turn.progress(step('echo', 1));
    await turn.progress(step('add', 2));
    await turn.final({ text: 'The answer.', images: [] });
    await vi.advanceTimersByTimeAsync(5_000);
    // discord.js sends one route's requests in order: once this no-op edit is in, a late progress edit would be too.
    const progressMessage = posted()[0]!.response.id as string;
    await client.rest.patch(`/channels/${CHANNEL_ID}/messages/${progressMessage}`, { body: { allowed_mentions: { parse: [] } } });
    expect(edited().map(contentOf)).toEqual(['The answer.', '']);
    expect(posted()).toHaveLength(1);
  });

  it('splits a long answer into messages Discord accepts, in order, code blocks closed and reopened', async () => {
    const code = Array.from({ length: 150 }, (_, index) => `console.log("line ${index} of the answer");`).join('\n');
    await start().final({ text: `Here it is:\n\n\`\`\`js\n${code}\n\`\`\`\n\nThat is all.`, images: [] });
    const pieces = posted().map(contentOf);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(2_000);
      expect((piece.match(/```/g) ?? []).length % 2).toBe(0);
    }
    expect(pieces[0]).toMatch(/^Here it is:/);
    expect(pieces.at(-1)).toMatch(/That is all\.$/);
    expect(pieces.join('\n').replace(/\n```\n```js\n/g, '\n')).toContain(code);
  });

  it('posts the answer anew when the progress message cannot be edited (deleted by someone)', async () => {
    const { logger, logs } = capturingLogger();
    const turn = start(logger);
    await turn.progress(step('echo', 1));
    discord.failNext('PATCH', A_MESSAGE, 404, { message: 'Unknown Message', code: 10008 });
    await turn.final({ text: 'Still here.', images: [] });
    expect(posted().map(contentOf)).toEqual(['Using `echo` on `fixture`…', 'Still here.']);
    expect(logs.items.find((line) => line.msg === 'progress message could not be edited; posting the answer anew')?.hint).toMatch(/no longer exists/);
  });

  it('answers as a reply to the question, pinging no one, when it has no thread to answer in', async () => {
    const question = await channel.send({ content: 'a question the bot could not start a thread on', allowedMentions: { parse: [] } });
    callsBefore = discord.rest.items.length;
    reply = new DiscordReply({ channel, replyTo: question }, capturingLogger().logger);
    await reply.final({ text: 'Answered right here.', images: [] });
    expect(posted().map((call) => call.body)).toMatchObject([
      { content: 'Answered right here.', message_reference: { message_id: question.id }, allowed_mentions: { parse: [], replied_user: false } },
    ]);
  });

  it('attaches at most ten images per message, after the text', async () => {
    await start().final({ text: 'Twelve pictures.', images: Array.from({ length: 12 }, (_, index) => image(index + 1)) });
    expect(posted().map((call) => [contentOf(call), call.files.length])).toEqual([
      ['Twelve pictures.', 0],
      ['', 10],
      ['', 2],
    ]);
    expect(posted().flatMap((call) => call.files)).toEqual(Array.from({ length: 12 }, (_, index) => `image-${index + 1}.png`));
  });

  it('says in the thread which images could not be attached', async () => {
    const { logger, logs } = capturingLogger();
    discord.failNext('POST', MESSAGES, 413, { message: 'Request entity too large', code: 40005 }, { when: (call) => call.files.length > 0 });
    await start(logger).final({ text: 'A picture.', images: [image(1)] });
    expect(posted().map(contentOf)).toEqual(['A picture.', '(I could not attach `image-1.png`.)']);
    expect(logs.items.find((line) => line.msg === 'images could not be attached')?.hint).toMatch(/larger than Discord accepts/);
  });

  it('logs an answer Discord refuses, with what to fix, without throwing into the engine', async () => {
    const { logger, logs } = capturingLogger();
    discord.failNext('POST', MESSAGES, 403, { message: 'Missing Permissions', code: 50013 }, { times: 2 });
    const turn = start(logger);
    await expect(turn.final({ text: 'Lost.', images: [] })).resolves.toBeUndefined();
    await expect(turn.error('Also lost.')).resolves.toBeUndefined();
    expect(since().filter((call) => call.method === 'POST' && MESSAGES.test(call.path)).map((call) => call.status)).toEqual([403, 403]);
    const failures = logs.items.filter((line) => line.msg.endsWith('could not be posted to Discord'));
    expect(failures.map((line) => [line.msg, line.hint])).toEqual([
      ['the answer could not be posted to Discord', expect.stringMatching(/lacks a permission/)],
      ['the error message could not be posted to Discord', expect.stringMatching(/lacks a permission/)],
    ]);
  });
});
