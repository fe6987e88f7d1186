import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BotMetrics } from '../../../src/observability/metrics.js';
import { scriptedSequence } from '../../fakes/fake-llm.js';
import { CHANNEL_ID, DM_CHANNEL_ID, nextTs, streamedText, type SlackCall } from '../../fakes/fake-slack.js';
import type { LogLine } from '../../helpers/logger.js';
import { answered, dm, mention, startSlackBot, textOf, type SlackBot } from './slack-bot.js';

const LONG_ANSWER = Array.from({ length: 30 }, (_, index) => `Sentence ${index} of a long streamed answer, with **bold** words.`).join(' ');

/** Every text the bot sent to Slack, in any call, as one string to search. */
const everythingSent = (bot: SlackBot) => JSON.stringify(bot.slack.calls.items.map((call) => call.args));

describe('Slack: streamed answers, task cards, the assistant pane, feedback and files (http mode; fake Slack, fixture server, fake LLM)', () => {
  let bot: SlackBot;
  const metrics = new BotMetrics();

  beforeAll(async () => {
    bot = await startSlackBot({ mode: 'http', adapter: { feedback: metrics } });
  });
  beforeEach(() => {
    bot.slack.calls.clear();
    bot.slack.streamingRefusal = undefined;
    bot.slack.streamAppendsBeforeExpiry = undefined;
    bot.harness.llm.requests.clear();
  });
  afterAll(async () => {
    await bot?.close();
  });

  /** The stream that ended in `thread`, once stopped. */
  const stoppedStream = async (threadTs: string) => {
    const stop = await bot.slack.waitForCall('chat.stopStream', (call) => bot.slack.messages.get(String(call.args.ts))?.threadTs === threadTs);
    return bot.slack.messages.get(String(stop.args.ts))!;
  };

  it('streams an answer into the thread as the model writes it, and the stream reads as the model wrote it', async () => {
    bot.harness.llm.setScript(() => LONG_ANSWER);
    const question = mention('tell me a long story');
    await bot.deliver(question);
    const message = await stoppedStream(question.ts);

    expect(bot.slack.streamText(message.ts)).toBe(LONG_ANSWER);
    const calls = bot.slack.calls.items.filter((call) => call.method.endsWith('Stream'));
    expect(calls[0]).toMatchObject({ method: 'chat.startStream', args: { channel: CHANNEL_ID, thread_ts: question.ts, recipient_user_id: question.user, recipient_team_id: 'T0000TEAM' } });
    // Batched: a few calls, not one per delta the model sent.
    expect(calls.length).toBeLessThanOrEqual(3);
    expect(bot.slack.callsOf('chat.postMessage').filter((call) => String(call.args.text).includes('Sentence'))).toEqual([]);
  });

  it('puts 👀 on the question at once, before the model has written anything, and takes it away with the answer', async () => {
    bot.harness.llm.setScript(() => ({ delayMs: 300, answer: 'Seen and answered.' }));
    const question = mention('are you there?');
    await bot.deliver(question);
    const added = await bot.slack.waitForCall('reactions.add', (call) => call.args.timestamp === question.ts);
    expect(added.args).toMatchObject({ channel: CHANNEL_ID, name: 'eyes' });
    expect(bot.slack.callsOf('chat.startStream')).toEqual([]);
    await stoppedStream(question.ts);
    expect((await bot.slack.waitForCall('reactions.remove', (call) => call.args.timestamp === question.ts)).args).toMatchObject({ channel: CHANNEL_ID, name: 'eyes' });
  });

  it('shows every tool call as a task card, in order with its final state, and the answer below the cards', async () => {
    bot.harness.llm.setScript(
      scriptedSequence({ toolCall: { tool: 'echo', arguments: { text: 'hi' } } }, { toolCall: { tool: 'fail', arguments: { message: 'nope' } } }, { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } }, 'All three done: 5.'),
    );
    const question = mention('use three tools');
    await bot.deliver(question);
    const message = await stoppedStream(question.ts);

    expect(bot.slack.taskCards(message.ts)).toEqual([
      { id: 'tool-1', title: 'Used echo', status: 'complete', details: 'on fixture', statuses: ['pending', 'in_progress', 'complete'] },
      { id: 'tool-2', title: 'fail failed', status: 'error', details: 'on fixture', statuses: ['pending', 'in_progress', 'error'] },
      { id: 'tool-3', title: 'Used add', status: 'complete', details: 'on fixture', statuses: ['pending', 'in_progress', 'complete'] },
    ]);
    const chunks = message.stream!.chunks;
    const lastCard = chunks.findLastIndex((chunk) => chunk.type === 'task_update');
    expect(streamedText(chunks.slice(lastCard))).toBe('All three done: 5.');
    expect(bot.slack.streamText(message.ts)).toBe('All three done: 5.');
  });

  it('keeps what the model said before a tool call above the card, and streams the answer on from it without rewriting', async () => {
    bot.harness.llm.setScript(scriptedSequence('Let me check. {"tool": "add", "arguments": {"a": 2, "b": 3}}', 'The sum is 5.'));
    const question = mention('add with a word first');
    await bot.deliver(question);
    const message = await stoppedStream(question.ts);

    expect(bot.slack.streamText(message.ts)).toBe('Let me check.\n\nThe sum is 5.');
    expect(bot.slack.taskCards(message.ts).map((card) => card.id)).toEqual(['tool-1']);
    expect(bot.slack.callsOf('chat.update').filter((call) => call.args.ts === message.ts)).toEqual([]);
  });

  it('rewrites the streamed message with the answer where what streamed turns out not to be it', async () => {
    // A model set up as not reasoning in its replies (LLM_REPLIES_START_IN_REASONING=no) that does after all.
    bot.harness.llm.setScript(() => ({ chunks: ['Okay, thinking ', 'hard about it. ', '</think>The answer, @channel.'] }));
    const question = mention('a surprise');
    await bot.deliver(question);
    const message = await stoppedStream(question.ts);
    const rewrite = await bot.slack.waitForCall('chat.update', (call) => call.args.ts === message.ts);
    expect(rewrite.args.markdown_text).toBeUndefined();
    expect(rewrite.args.blocks[0]).toEqual({ type: 'markdown', text: 'The answer, @channel.' });
    expect(rewrite.args.blocks[1].type).toBe('context_actions');
  });

  it('posts nothing more of an answer the person stopped (Slack answers stopped_by_user)', async () => {
    bot.harness.llm.setScript(() => ({ chunks: ['The start of a long answer. ', ...Array.from({ length: 8 }, (_, index) => `More part ${index}. `)], intervalMs: 150 }));
    const question = mention('a long one I will stop');
    await bot.deliver(question);
    const started = await bot.slack.waitForCall('chat.startStream', (call) => call.args.thread_ts === question.ts);
    bot.slack.stopStreamAsPerson(String(started.result?.ts ?? ''));
    await bot.slack.waitForCall('chat.appendStream', (call) => call.outcome === 'stopped_by_user');
    await bot.slack.waitForCall('reactions.remove', (call) => call.args.timestamp === question.ts);
    expect(bot.slack.callsOf('chat.postMessage').filter((call) => textOf(call).includes('More part'))).toEqual([]);
  });

  it("spaces the appends of answers streaming at once to the workspace's allowance, not each its own", async () => {
    bot.harness.llm.setScript(() => ({ chunks: Array.from({ length: 24 }, (_, index) => `Piece ${index} of a long answer. `), intervalMs: 100 }));
    const questions = [mention('first of two at once'), mention('second of two at once')];
    await Promise.all(questions.map((question) => bot.deliver(question)));
    await Promise.all(questions.map((question) => stoppedStream(question.ts)));
    const appends = bot.slack.callsOf('chat.appendStream').map((call) => call.at);
    expect(appends.length).toBeGreaterThan(2);
    // Tier 4 is about 100 a minute per workspace: 600 ms between any two appends, whichever answer they
    // belong to. Read where the fake receives them, a gap can shrink by one request's transit on a busy
    // machine; two answers each with an allowance of its own would give gaps of 300 ms on average.
    for (const [index, at] of appends.slice(1).entries()) expect(at - appends[index]!).toBeGreaterThanOrEqual(450);
    expect(appends.at(-1)! - appends[0]!).toBeGreaterThanOrEqual(600 * (appends.length - 1) - 150);
  });

  it('never shows a tool call the model wrote as JSON, nor its <think> reasoning', async () => {
    bot.harness.llm.setScript(scriptedSequence('<think>plan: call echo secretly</think>{"tool": "echo", "arguments": {"text": "hush"}}', '<think>the hidden musing</think>Echo said hush.'));
    const question = mention('echo hush');
    await bot.deliver(question);
    const message = await stoppedStream(question.ts);

    expect(bot.slack.streamText(message.ts)).toBe('Echo said hush.');
    const sent = everythingSent(bot);
    for (const hidden of ['plan: call', 'hidden musing', '\\"tool\\"', '<think>']) expect(sent).not.toContain(hidden);
  });

  it('posts and edits the answer where Slack refuses streaming, nothing lost or doubled', async () => {
    bot.slack.streamingRefusal = 'streaming_not_allowed';
    bot.harness.llm.setScript(() => LONG_ANSWER.replaceAll('**', ''));
    const question = mention('stream where I cannot');
    await bot.deliver(question);
    await answered(bot.slack, 'Sentence 29');
    await bot.slack.waitForCall('chat.update', (call) => Array.isArray(call.args.blocks) && JSON.stringify(call.args.blocks).includes('feedback_buttons'));

    const thread = bot.slack.messagesIn(CHANNEL_ID, question.ts);
    expect(thread.map((message) => message.text).join(' ')).toBe(LONG_ANSWER.replaceAll('**', ''));
    expect(thread.every((message) => !message.stream)).toBe(true);
  });

  it('goes on in a posted message when Slack closes the stream mid-answer, nothing lost or doubled', async () => {
    const answer = LONG_ANSWER.replaceAll('**', '');
    bot.slack.streamAppendsBeforeExpiry = 0;
    bot.harness.llm.setScript(scriptedSequence({ toolCall: { tool: 'echo', arguments: { text: 'before' } } }, answer));
    const question = mention('a stream that expires');
    await bot.deliver(question);
    await bot.slack.waitForCall('chat.update', (call) => JSON.stringify(call.args.blocks ?? []).includes('feedback_buttons'));

    const [streamed, ...posted] = bot.slack.messagesIn(CHANNEL_ID, question.ts);
    expect(bot.slack.taskCards(streamed!.ts).map((card) => card.id)).toEqual(['tool-1']);
    expect(bot.slack.calls.items.some((call) => call.outcome === 'message_not_in_streaming_state')).toBe(true);
    expect(posted.length).toBeGreaterThan(0);
    expect([streamed!.text, ...posted.map((message) => message.text)].join(' ').trim()).toBe(answer);
  });

  it('counts a press on the feedback buttons under an answer in the metrics, and logs it with the thread', async () => {
    bot.harness.llm.setScript(() => 'A helpful answer.');
    const question = mention('be helpful');
    await bot.deliver(question);
    const message = await stoppedStream(question.ts);
    const stop = bot.slack.callsOf('chat.stopStream').at(-1)!;
    expect(stop.args.blocks).toEqual([expect.objectContaining({ type: 'context_actions', elements: [expect.objectContaining({ type: 'feedback_buttons' })] })]);

    await bot.pressFeedback(message, 'positive');
    await bot.pressFeedback(message, 'negative');
    await bot.pressFeedback(message, 'positive');
    const logged = await bot.logs.waitFor((line) => line.msg === 'feedback on an answer' && (line as LogLine & { value?: string }).value === 'negative', { what: 'the feedback logged' });
    expect(logged.threadKey).toBe(`slack:T0000TEAM:${CHANNEL_ID}:${question.ts}`);
    await bot.logs.waitFor((line) => line.msg === 'feedback on an answer' && bot.logs.items.filter((seen) => seen.msg === 'feedback on an answer').length === 3, { what: 'three presses' });
    const exported = await metrics.registry.metrics();
    expect(exported).toContain('mcp_bot_feedback_total{platform="slack",value="positive"} 2');
    expect(exported).toContain('mcp_bot_feedback_total{platform="slack",value="negative"} 1');
  });

  it('offers prompts made from the tools when someone opens the assistant pane, then titles the thread and shows its status', async () => {
    bot.harness.llm.setScript(scriptedSequence({ toolCall: { tool: 'echo', arguments: { text: 'pane' } } }, 'Echoed in the pane.'));
    const threadTs = nextTs();
    await bot.deliver(bot.slack.assistantThreadStarted(DM_CHANNEL_ID, threadTs));
    const prompts = await bot.slack.waitForCall('assistant.threads.setSuggestedPrompts');
    expect(prompts.args).toMatchObject({ channel_id: DM_CHANNEL_ID, thread_ts: threadTs });
    expect(prompts.args.prompts[0]).toEqual({ title: 'Echoes the text back.', message: 'Echoes the text back (with `echo`)' });
    expect(prompts.args.prompts.length).toBeLessThanOrEqual(4);

    await bot.deliver(dm('please echo pane for me', { thread_ts: threadTs }));
    await stoppedStream(threadTs);
    await bot.slack.waitForCall('assistant.threads.setStatus', (call) => call.args.status === '');
    expect(bot.slack.callsOf('assistant.threads.setTitle').map((call) => call.args)).toEqual([expect.objectContaining({ thread_ts: threadTs, title: 'please echo pane for me' })]);
    expect(bot.slack.callsOf('assistant.threads.setStatus').map((call: SlackCall) => call.args.status)).toEqual(['is thinking…', 'is using `echo`…', '']);

    // A second question in the same thread keeps its title.
    await bot.deliver(dm('and again', { thread_ts: threadTs }));
    await answered(bot.slack, 'Echoed in the pane.');
    await bot.slack.waitForCall('assistant.threads.setStatus', (call) => call.args.status === '' && bot.slack.callsOf('assistant.threads.setStatus').filter((seen) => seen.args.status === '').length === 2);
    expect(bot.slack.callsOf('assistant.threads.setTitle')).toHaveLength(1);
  });

  it('reads a text file someone shares, downloaded with the bot token, and the model gets its text', async () => {
    bot.harness.llm.setScript(() => 'I read your notes.');
    const file = bot.slack.hostFile('notes.txt', 'text/plain', 'The launch code is 4711.');
    await bot.deliver(dm('what does my file say?', { subtype: 'file_share', files: [file] }));
    await answered(bot.slack, 'I read your notes.');

    expect(bot.slack.callsOf('download')).toEqual([expect.objectContaining({ outcome: 'ok', args: { fileId: file.id, authorized: true } })]);
    const request = bot.harness.llm.requests.items.at(-1)!;
    expect(JSON.stringify(request.messages)).toContain('The launch code is 4711.');
    expect(JSON.stringify(request.messages)).toContain('notes.txt');
  });
});
