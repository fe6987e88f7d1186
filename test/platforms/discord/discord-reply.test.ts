import type { Message, SendableChannels } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImageAttachment, TurnProgress } from '../../../src/engine/index.js';
import { DiscordReply } from '../../../src/platforms/discord/discord-reply.js';
import { capturingLogger } from '../../helpers/logger.js';

interface Sent {
  content?: string;
  files?: unknown[];
  allowedMentions?: unknown;
}

/** A channel that keeps what was sent and edited; `refuse` makes the next matching send or edit fail. */
function fakeChannel() {
  const sent: Sent[] = [];
  const edits: string[] = [];
  const refuse = { send: (_options: Sent) => false, edit: false };
  const message = {
    edit: vi.fn(async (options: Sent) => {
      if (refuse.edit) throw new Error('Unknown Message');
      edits.push(options.content ?? '');
      return message;
    }),
  };
  const channel = {
    sendTyping: vi.fn(async () => undefined),
    send: vi.fn(async (options: Sent) => {
      if (refuse.send(options)) throw new Error('Missing Permissions');
      sent.push(options);
      return message;
    }),
  };
  return { channel: channel as unknown as SendableChannels & typeof channel, message: message as unknown as Message, sent, edits, refuse };
}

const step = (tool: string, n: number): TurnProgress => ({ type: 'tool', tool, server: 'fixture', step: n });
const image = (n: number): ImageAttachment => ({ data: Buffer.from('png'), mimeType: 'image/png', filename: `image-${n}.png` });

describe('DiscordReply', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps the typing indicator alive every 8 seconds until the answer, then stops', async () => {
    const { channel } = fakeChannel();
    const reply = new DiscordReply({ channel }, capturingLogger().logger);
    expect(channel.sendTyping).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(16_000);
    expect(channel.sendTyping).toHaveBeenCalledTimes(3);
    await reply.final({ text: 'done', images: [] });
    reply.dispose();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(channel.sendTyping).toHaveBeenCalledTimes(3);
  });

  it('edits the progress message at most once a second, showing the latest step', async () => {
    const { channel, sent, edits } = fakeChannel();
    const reply = new DiscordReply({ channel }, capturingLogger().logger);
    await reply.progress(step('echo', 1));
    await reply.progress(step('add', 2));
    await reply.progress(step('slow', 3));
    expect(sent.map((message) => message.content)).toEqual(['Using `echo` on `fixture`…']);
    expect(edits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(edits).toEqual(['Using `slow` on `fixture`…']);
    await reply.progress(step('fail', 4));
    await vi.advanceTimersByTimeAsync(999);
    expect(edits).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(edits.at(-1)).toBe('Using `fail` on `fixture`…');
    reply.dispose();
  });

  it('turns the progress message into the answer, dropping a progress edit still waiting', async () => {
    const { channel, sent, edits } = fakeChannel();
    const reply = new DiscordReply({ channel }, capturingLogger().logger);
    await reply.progress(step('echo', 1));
    await reply.progress(step('add', 2));
    await reply.final({ text: 'The answer.', images: [] });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(edits).toEqual(['The answer.']);
    expect(sent).toHaveLength(1);
    reply.dispose();
  });

  it('posts the answer anew when the progress message cannot be edited (deleted by someone)', async () => {
    const { channel, sent, refuse } = fakeChannel();
    const reply = new DiscordReply({ channel }, capturingLogger().logger);
    await reply.progress(step('echo', 1));
    refuse.edit = true;
    await reply.final({ text: 'Still here.', images: [] });
    expect(sent.map((message) => message.content)).toEqual(['Using `echo` on `fixture`…', 'Still here.']);
    reply.dispose();
  });

  it('attaches at most ten images per message, after the text', async () => {
    const { channel, sent } = fakeChannel();
    const reply = new DiscordReply({ channel }, capturingLogger().logger);
    await reply.final({ text: 'Twelve pictures.', images: Array.from({ length: 12 }, (_, index) => image(index + 1)) });
    expect(sent.map((message) => message.files?.length ?? 0)).toEqual([0, 10, 2]);
    for (const message of sent) expect(message.allowedMentions).toEqual({ parse: [] });
    reply.dispose();
  });

  it('says in the thread which images could not be attached', async () => {
    const { channel, sent, refuse } = fakeChannel();
    const { logger, logs } = capturingLogger();
    refuse.send = (options) => options.files !== undefined;
    const reply = new DiscordReply({ channel }, logger);
    await reply.final({ text: 'A picture.', images: [image(1)] });
    expect(sent.map((message) => message.content)).toEqual(['A picture.', '(I could not attach `image-1.png`.)']);
    expect(logs.items.map((line) => line.msg)).toContain('images could not be attached');
    reply.dispose();
  });

  it('logs an answer Discord refuses, without throwing into the engine', async () => {
    const { channel, refuse } = fakeChannel();
    const { logger, logs } = capturingLogger();
    refuse.send = () => true;
    const reply = new DiscordReply({ channel }, logger);
    await expect(reply.final({ text: 'Lost.', images: [] })).resolves.toBeUndefined();
    await expect(reply.error('Also lost.')).resolves.toBeUndefined();
    expect(logs.items.map((line) => line.msg)).toEqual(['the answer could not be posted to Discord', 'the error message could not be posted to Discord']);
    reply.dispose();
  });
});
