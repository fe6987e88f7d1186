import { describe, expect, it } from 'vitest';
import type { FakeDiscord, RestCall } from '../../fakes/fake-discord.js';
import type { LlmRequest, ScriptedAnswer } from '../../fakes/fake-llm.js';
import { answerIn, contentOf, oneBotPerFile, type DiscordBot } from './discord-bot.js';

const fencesBalanced = (text: string) => (text.match(/^```/gm) ?? []).length % 2 === 0;
/** `text` in pieces of `size` characters, `intervalMs` apart, as a model streams it. */
const streamed = (text: string, size: number, intervalMs: number): ScriptedAnswer => ({ chunks: text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [], intervalMs });
const isToolFeedback = (request: LlmRequest) => String(request.messages.at(-1)?.content ?? '').startsWith('[tool] ');

const SHORT = 'Streaming is when the words appear as they are written. '.repeat(6).trim();
const LONG = `Here it is:\n\n\`\`\`js\n${Array.from({ length: 120 }, (_, index) => `console.log('line ${index} of the long answer');`).join('\n')}\n\`\`\`\n\nThat was long.`;

/** The model the tests talk to: streams its answers in timed pieces, as a real one does. */
function script(request: LlmRequest): ScriptedAnswer {
  const question = request.lastUserText;
  if (question.includes('long')) return streamed(LONG, 60, 15);
  if (question.includes('add')) return isToolFeedback(request) ? streamed('The sum is 5.', 4, 20) : streamed(JSON.stringify({ tool: 'add', arguments: { a: 2, b: 3 } }), 5, 20);
  if (question.includes('think')) return { chunks: ['<think>', 'the secret reasoning ', 'goes here', '</think>', 'The answer ', 'is 42.'], intervalMs: 50 };
  return streamed(SHORT, 12, 60);
}

describe('Discord answers streamed as the model writes them (real discord.js, fake Discord, streaming fake model)', () => {
  let bot: DiscordBot;
  let discord: FakeDiscord;
  oneBotPerFile({ script }, (started) => {
    bot = started;
    discord = started.discord;
  });

  /** Asks in a new thread and waits until the turn has rendered its last event. */
  async function ask(question: string, last: string): Promise<string> {
    const thread = discord.guildMessage(question);
    await answerIn(discord, thread, last);
    await bot.harness.engine.drain(10_000);
    return thread;
  }
  const writesIn = (thread: string): RestCall[] => discord.rest.filter((call) => (call.method === 'POST' || call.method === 'PATCH') && call.path.startsWith(`/channels/${thread}/messages`) && call.status < 300);
  const postsIn = (thread: string) => writesIn(thread).filter((call) => call.method === 'POST');
  const shownIn = (thread: string) => postsIn(thread).map((call) => discord.messageContent(call.response.id));
  /** Writes of each message (post, then edits), by message id. */
  const writesByMessage = (thread: string) => {
    const byMessage = new Map<string, RestCall[]>();
    for (const call of writesIn(thread)) {
      const id = call.method === 'POST' ? String(call.response.id) : call.path.split('/').at(-1)!;
      byMessage.set(id, [...(byMessage.get(id) ?? []), call]);
    }
    return byMessage;
  };

  it('shows the first words while the model is still writing, then edits them into exactly its text', async () => {
    const thread = await ask('tell me about streaming', SHORT);
    const [first] = postsIn(thread);
    const request = bot.harness.llm.requests.items[0]!;
    // Posted soon after the model's first words, with only part of the text: the rest came later.
    expect(first!.at - request.firstChunkAt!).toBeLessThan(1_000);
    expect(contentOf(first!).length).toBeLessThan(SHORT.length);
    expect(shownIn(thread)).toEqual([SHORT]);
    expect(writesIn(thread).length).toBeGreaterThan(2);
  });

  it('edits each message at most once a second, and continues past 2,000 characters with code blocks balanced', async () => {
    const thread = await ask('a long one please', 'That was long.');
    const pieces = shownIn(thread);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    for (const call of writesIn(thread)) {
      expect(contentOf(call).length).toBeLessThanOrEqual(2_000);
      expect(fencesBalanced(contentOf(call))).toBe(true);
    }
    expect(pieces.join('\n').replace(/\n```\n```js\n/g, '\n')).toBe(LONG);
    for (const writes of writesByMessage(thread).values()) {
      for (let index = 1; index < writes.length; index += 1) expect(writes[index]!.at - writes[index - 1]!.at).toBeGreaterThanOrEqual(950);
    }
  });

  it('never shows a tool call the model streams in JSON mode', async () => {
    const thread = await ask('please add 2 and 3', 'The sum is 5.');
    expect(writesIn(thread).map(contentOf).filter((content) => content.includes('"tool"') || content.includes('{'))).toEqual([]);
    expect(shownIn(thread)).toEqual(['The sum is 5.']);
  });

  it('never shows what the model writes between <think> and </think>', async () => {
    const thread = await ask('think about it', 'The answer is 42.');
    expect(writesIn(thread).map(contentOf).filter((content) => content.includes('secret') || content.includes('think>'))).toEqual([]);
    expect(shownIn(thread)).toEqual(['The answer is 42.']);
  });
});
