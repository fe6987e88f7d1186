import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, type TextChannel } from 'discord.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConfirmationRequest, ImageAttachment, TurnEvent } from '../../../src/engine/index.js';
import { sendDirectMessage } from '../../../src/platforms/discord/direct-message.js';
import { DiscordReply } from '../../../src/platforms/discord/discord-reply.js';
import { ChannelSurface, type ChannelTarget } from '../../../src/platforms/discord/message-surface.js';
import { RestPacing } from '../../../src/platforms/discord/rest-pacing.js';
import { CHANNEL_ID, FakeDiscord, USER, type RestCall } from '../../fakes/fake-discord.js';
import { capturingLogger } from '../../helpers/logger.js';
import { Recorder } from '../../helpers/recorder.js';
import { TOKEN, contentOf, expectNoPings } from './discord-bot.js';

const image = (n: number): ImageAttachment => ({ data: Buffer.from('png'), mimeType: 'image/png', filename: `image-${n}.png` });
const text = (delta: string): TurnEvent => ({ type: 'text', delta });
const answer = (value: string, images: ImageAttachment[] = []): TurnEvent => ({ type: 'answer', text: value, images });
const started = (tool: string, step: number): TurnEvent => ({ type: 'tool-started', step, tool, server: 'fixture' });
const finished = (tool: string, step: number, ok = true): TurnEvent => ({ type: 'tool-finished', step, tool, server: 'fixture', ok });
const fencesBalanced = (content: string) => (content.match(/^```/gm) ?? []).length % 2 === 0;
const MESSAGES = new RegExp(`^/channels/${CHANNEL_ID}/messages$`);
const A_MESSAGE = new RegExp(`^/channels/${CHANNEL_ID}/messages/\\d+$`);
const TYPING = new RegExp(`^/channels/${CHANNEL_ID}/typing$`);

describe('DiscordReply through discord.js (fake Discord)', () => {
  let discord: FakeDiscord;
  let client: Client;
  let channel: TextChannel;
  let pacing: RestPacing;
  /** Requests discord.js has had Discord's answer to, as "METHOD /path". */
  const answered = new Recorder<string>();
  let callsBefore = 0;
  let reply: DiscordReply | undefined;

  beforeAll(async () => {
    discord = await FakeDiscord.start();
    client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: discord.apiUrl } });
    pacing = new RestPacing(client.rest);
    client.rest.on('response', (request) => answered.push(`${request.method.toUpperCase()} ${request.path}`));
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
  /** What each message the turn posted shows now, in the order they were posted. */
  const shown = () => posted().map((call) => discord.messageContent(call.response.id));
  /**
   * The time-outs and intervals of a turn on a clock the test moves; sockets and the fake still run on
   * real time. `Date` too only where a test moves it little: discord.js times its global request window
   * with it, and a window set far ahead of the real clock would hold every later request back.
   */
  const fakeClock = (withDate = true) => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', ...(withDate ? (['Date'] as const) : [])] });
  /** Ids of the messages the turn posted, as the reply learns them (after Discord answered). */
  let postedIds = new Recorder<string>();
  const start = (logger = capturingLogger().logger, target: ChannelTarget = { channelId: CHANNEL_ID }) => {
    postedIds = new Recorder<string>();
    return (reply = new DiscordReply({ surface: new ChannelSurface(client.rest, target), directMessage: (content) => sendDirectMessage(client.rest, USER.id, content), pacing, log: logger, onPosted: (id) => postedIds.push(id) }));
  };
  const waitForCalls = (method: string, path: RegExp, count: number) =>
    discord.rest.waitFor(() => accepted(method, path).length >= count, { what: `${count} × ${method} ${path}` });
  /** Every write of one message (its post, then its edits), as [time, content]. */
  const writesOf = (id: string) => since().filter((call) => call.status < 300 && (call.response?.id === id || call.path.endsWith(`/messages/${id}`)) && call.body?.content !== undefined).map((call) => [call.at, contentOf(call)] as const);

  it('keeps the typing indicator alive every 8 seconds until the answer, then stops', async () => {
    fakeClock(false);
    const turn = start();
    await waitForCalls('POST', TYPING, 1);
    await vi.advanceTimersByTimeAsync(16_000);
    await waitForCalls('POST', TYPING, 3);
    await turn.emit(answer('done'));
    turn.dispose();
    await vi.advanceTimersByTimeAsync(30_000);
    // discord.js sends one route's requests in order: once this one is in, any the bot still sent would be too.
    await channel.sendTyping();
    expect(typed()).toHaveLength(4);
  });

  it('posts the first words at once, then edits that message with the newest text at most once a second', async () => {
    fakeClock();
    const turn = start();
    await turn.emit(text('Hello'));
    await postedIds.waitFor(() => true);
    for (const word of [' there,', ' how', ' are', ' you']) await turn.emit(text(word));
    await vi.advanceTimersByTimeAsync(999);
    expect(edited()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    // Once discord.js has Discord's answer to the edit, the next one is timed from it.
    await answered.waitFor((request) => request.startsWith('PATCH'));
    await turn.emit(text('?'));
    const ending = turn.emit(answer('Hello there, how are you?'));
    await vi.advanceTimersByTimeAsync(1_000);
    await ending;

    expect(posted().map(contentOf)).toEqual(['Hello']);
    expect(edited().map(contentOf)).toEqual(['Hello there, how are you', 'Hello there, how are you?']);
    const writes = writesOf(posted()[0]!.response.id).map(([at]) => at);
    expect(writes.slice(1).map((at, index) => at - writes[index]!)).toEqual([1_000, 1_000]);
  });

  it('shows the final text when it differs from what streamed', async () => {
    const turn = start();
    await turn.emit(text('Draft <|im_end|>'));
    await waitForCalls('POST', MESSAGES, 1);
    await turn.emit(answer('Draft'));
    expect(shown()).toEqual(['Draft']);
  });

  it('lists tool steps above the answer while it streams, and leaves the answer alone at the end', async () => {
    const turn = start();
    await turn.emit(started('add', 1));
    await waitForCalls('POST', MESSAGES, 1);
    await turn.emit(finished('add', 1));
    await turn.emit(started('fail', 2));
    await turn.emit(finished('fail', 2, false));
    await turn.emit(text('The sum is 5.'));
    await waitForCalls('PATCH', A_MESSAGE, 1);
    expect(edited()[0]!.body.content).toBe('-# ✓ `add` on `fixture`\n-# ✗ `fail` on `fixture` failed\nThe sum is 5.');
    await turn.emit(answer('The sum is 5.'));

    expect(posted().map(contentOf)).toEqual(['-# Using `add` on `fixture`…']);
    expect(shown()).toEqual(['The sum is 5.']);
  });

  it('continues past 2,000 characters in new messages, each finished on a clean boundary with code blocks closed and reopened', async () => {
    const code = Array.from({ length: 150 }, (_, index) => `console.log("line ${index} of the answer");`).join('\n');
    const full = `Here it is:\n\n\`\`\`js\n${code}\n\`\`\`\n\nThat is all.`;
    const turn = start();
    for (let offset = 0; offset < full.length; offset += 40) await turn.emit(text(full.slice(offset, offset + 40)));
    await turn.emit(answer(full));

    const pieces = shown();
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(2_000);
      expect(fencesBalanced(piece)).toBe(true);
    }
    expect(pieces[0]).toMatch(/^Here it is:/);
    expect(pieces.slice(1, -1).every((piece) => piece.startsWith('```js\n'))).toBe(true);
    expect(pieces.at(-1)).toMatch(/That is all\.$/);
    expect(pieces.join('\n').replace(/\n```\n```js\n/g, '\n')).toContain(code);
    // Every edit of every message, streaming included, fits and renders its code as code.
    for (const call of edited()) expect(fencesBalanced(contentOf(call)) && contentOf(call).length <= 2_000).toBe(true);
  });

  it('keeps streamed text when the turn fails, with the error line below it', async () => {
    const turn = start();
    await turn.emit(text('The first half of an answer'));
    await waitForCalls('POST', MESSAGES, 1);
    await turn.emit({ type: 'error', message: 'The language model stopped answering.' });
    expect(shown()).toEqual(['The first half of an answer\n\n⚠️ The language model stopped answering.']);
  });

  it('says the error alone when nothing was shown yet', async () => {
    await start().emit({ type: 'error', message: 'The language model had an error.' });
    expect(shown()).toEqual(['The language model had an error.']);
  });

  it('turns the step list into a question, and posts what follows below it', async () => {
    const request: ConfirmationRequest = { id: 'q1', threadKey: 't', askerId: 'u', server: 'fixture', tool: 'add', arguments: { a: 1 }, expiresAt: Date.now() + 60_000 };
    const turn = start();
    await turn.emit(text('Let me check.'));
    await waitForCalls('POST', MESSAGES, 1);
    await turn.emit({ type: 'confirmation-asked', request });
    await turn.emit({ type: 'confirmation-ended', request, outcome: 'approved' });
    await turn.emit(started('add', 1));
    await turn.emit(text(' It is 2.'));
    await turn.emit(answer('Let me check. It is 2.'));

    const [lead, question, rest] = shown();
    expect(lead).toBe('Let me check.');
    expect(question).toMatch(/approved/i);
    expect(posted()[1]!.body.components[0].components.map((button: { label: string }) => button.label)).toEqual(['Approve', 'Deny']);
    expect(rest).toBe('It is 2.');
  });

  it('waits out an empty rate-limit bucket instead of queueing edits behind it', async () => {
    const turn = start();
    await turn.emit(text('one'));
    await waitForCalls('POST', MESSAGES, 1);
    discord.emptyBucketAfterNext('PATCH', A_MESSAGE, 2.5);
    await turn.emit(text(' two'));
    await waitForCalls('PATCH', A_MESSAGE, 1);
    for (const word of [' three', ' four', ' five']) await turn.emit(text(word));
    await waitForCalls('PATCH', A_MESSAGE, 2);
    const [first, second] = edited();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(2_400);
    expect(contentOf(second!)).toBe('one two three four five');
    await turn.emit(answer('one two three four five'));
  });

  it('posts the answer anew when its message cannot be edited (deleted by someone)', async () => {
    const { logger, logs } = capturingLogger();
    const turn = start(logger);
    await turn.emit(started('echo', 1));
    await waitForCalls('POST', MESSAGES, 1);
    discord.failNext('PATCH', A_MESSAGE, 404, { message: 'Unknown Message', code: 10008 });
    await turn.emit(answer('Still here.'));
    expect(posted().map(contentOf)).toEqual(['-# Using `echo` on `fixture`…', 'Still here.']);
    expect(logs.items.find((line) => line.msg === 'answer message could not be edited')?.hint).toMatch(/no longer exists/);
  });

  it('answers as a reply to the question, pinging no one, when it has no thread to answer in', async () => {
    const question = await channel.send({ content: 'a question the bot could not start a thread on', allowedMentions: { parse: [] } });
    callsBefore = discord.rest.items.length;
    await start(undefined, { channelId: CHANNEL_ID, replyTo: question.id }).emit(answer('Answered right here.'));
    expect(posted().map((call) => call.body)).toMatchObject([
      { content: 'Answered right here.', message_reference: { message_id: question.id }, allowed_mentions: { parse: [], replied_user: false } },
    ]);
  });

  it('attaches at most ten images per message, after the text', async () => {
    await start().emit(answer('Twelve pictures.', Array.from({ length: 12 }, (_, index) => image(index + 1))));
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
    await start(logger).emit(answer('A picture.', [image(1)]));
    expect(posted().map(contentOf)).toEqual(['A picture.', '(I could not attach `image-1.png`.)']);
    expect(logs.items.find((line) => line.msg === 'images could not be attached')?.hint).toMatch(/larger than Discord accepts/);
  });

  it('logs an answer Discord refuses, with what to fix, without throwing into the engine', async () => {
    const { logger, logs } = capturingLogger();
    discord.failNext('POST', MESSAGES, 403, { message: 'Missing Permissions', code: 50013 }, { times: 2 });
    const turn = start(logger);
    await expect(turn.emit(text('Lost.'))).resolves.toBeUndefined();
    await expect(turn.emit(answer('Lost.'))).resolves.toBeUndefined();
    expect(since().filter((call) => call.method === 'POST' && MESSAGES.test(call.path)).map((call) => call.status)).toEqual([403, 403]);
    expect(logs.items.filter((line) => line.msg.includes('could not be posted')).map((line) => [line.msg, line.hint])).toEqual([
      ['answer message could not be posted; trying again at the end', expect.stringMatching(/lacks a permission/)],
      ['the answer could not be posted to Discord', expect.stringMatching(/lacks a permission/)],
    ]);
  });
});
