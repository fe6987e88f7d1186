import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { RecordingReply } from '../helpers/recording-reply.js';

describe("a message's place in its thread, taken as it arrives (fake LLM over HTTP)", () => {
  let harness: EngineHarness;
  beforeAll(async () => {
    harness = await startEngineHarness({ script: (request) => `answer to ${request.lastUserText}` });
  });
  afterAll(() => harness.close());
  beforeEach(() => harness.llm.requests.clear());

  const message = (threadKey: string, text: string) => ({ threadKey, asker: testAsker(), text });

  it('answers in the order the messages arrived, whichever was handed over first', async () => {
    const first = harness.engine.reserve('places:order');
    const second = harness.engine.reserve('places:order');
    const answers: string[] = [];
    const output = () => {
      const reply = new RecordingReply();
      return { reply, done: (promise: Promise<void>) => promise.then(() => answers.push(reply.answer?.text ?? '')) };
    };
    const later = output();
    const sooner = output();
    // The second message was ready first (its adapter had fewer round trips to make): it still waits its turn.
    const secondDone = later.done(second.take(message('places:order', 'two'), later.reply));
    const firstDone = sooner.done(first.take(message('places:order', 'one'), sooner.reply));
    await Promise.all([firstDone, secondDone]);
    expect(answers).toEqual(['answer to one', 'answer to two']);
    expect(harness.llm.requests.items.map((request) => request.lastUserText)).toEqual(['one', 'two']);
  });

  it('lets the thread move on when a place is given up, and other threads never wait for it', async () => {
    const dropped = harness.engine.reserve('places:release');
    const kept = harness.engine.reserve('places:release');
    const elsewhere = new RecordingReply();
    await harness.engine.handle(message('places:other', 'meanwhile'), elsewhere);
    expect(elsewhere.answer?.text).toBe('answer to meanwhile');
    const reply = new RecordingReply();
    const answered = kept.take(message('places:release', 'after the dropped one'), reply);
    dropped.release();
    await answered;
    expect(reply.answer?.text).toBe('answer to after the dropped one');
  });

  it('gives the place up when the message is refused, so the thread is not held', async () => {
    const refused = harness.engine.reserve('places:refused');
    const next = harness.engine.reserve('places:refused');
    const tooLong = new RecordingReply();
    await refused.take(message('places:refused', 'x'.repeat(9_000)), tooLong);
    expect(tooLong.errorMessage).toContain('too long');
    const reply = new RecordingReply();
    await next.take(message('places:refused', 'short'), reply);
    expect(reply.answer?.text).toBe('answer to short');
  });
});
