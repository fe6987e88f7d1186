import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TurnTakenOverError, type TurnLease } from '../../src/queue/index.js';
import type { LlmRequest } from '../fakes/fake-llm.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { sharedLease } from '../helpers/turn-queue.js';
import { RecordingReply } from '../helpers/recording-reply.js';
import { forgetNamespace, REDIS_URL, redisAvailable } from '../helpers/services.js';

const isFeedback = (request: LlmRequest): boolean => String(request.messages.at(-1)?.content ?? '').startsWith('[tool] ');
const addThenAnswer = (request: LlmRequest) => (isFeedback(request) ? 'The sum is 5.' : { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } });

async function runTurn(harness: EngineHarness, threadKey: string, lease: TurnLease): Promise<RecordingReply> {
  const reply = new RecordingReply();
  await harness.engine.handle({ threadKey, asker: testAsker('u1'), text: 'What is 2+3?' }, reply, lease);
  return reply;
}

/** The turn ended by withdrawing what it showed: no answer, no error line, nothing after. */
function expectWithdrawn(reply: RecordingReply): void {
  expect(reply.events.at(-1)).toEqual({ type: 'withdrawn' });
  expect(reply.answer).toBeUndefined();
  expect(reply.errorMessage).toBeUndefined();
}

describe('a turn another process took over while this one stalled (fixture MCP server, fake LLM)', () => {
  let harness: EngineHarness;
  beforeAll(async () => {
    harness = await startEngineHarness({ script: addThenAnswer });
  });
  afterAll(() => harness?.close());

  it('starts no tool once the queue says the job is another process\'s, and withdraws what it showed instead of posting an error', async () => {
    const lease = sharedLease({
      toolStarting: async () => {
        throw new TurnTakenOverError('job-1');
      },
    });
    const reply = await runTurn(harness, 'taken:tool', lease);
    expectWithdrawn(reply);
    expect(reply.progressEvents).toEqual([]);
    expect(harness.llm.requests.items.filter((request) => isFeedback(request))).toEqual([]);
    expect(await harness.store.history.get('taken:tool')).toEqual([]);
  });

  it('withdraws its answer when the queue refuses to record it: the process that took the job over answers', async () => {
    const lease = sharedLease({
      answerSaved: async () => {
        throw new TurnTakenOverError('job-2');
      },
    });
    expectWithdrawn(await runTurn(harness, 'taken:answer', lease));
  });
});

describe.runIf(redisAvailable)('a turn whose thread another process took over, on a shared Redis store (fencing)', () => {
  let harness: EngineHarness;
  beforeAll(async () => {
    harness = await startEngineHarness({ script: addThenAnswer, storeUrl: REDIS_URL, storeNamespace: `test-${randomUUID()}` });
  });
  afterAll(async () => {
    if (harness) await forgetNamespace(harness.store, REDIS_URL);
    await harness?.close();
  });

  it('keeps nothing and withdraws what it showed when its history write is fenced out', async () => {
    const threadKey = 'fenced:thread';
    // Another process takes the thread while this turn runs its tool: it holds a newer fencing token.
    const lease = sharedLease({ toolStarting: async () => void (await harness.store.history.fence!(threadKey)) });
    const reply = await runTurn(harness, threadKey, lease);
    expect(reply.progressEvents.map((event) => event.tool)).toEqual(['add']);
    expectWithdrawn(reply);
    expect(await harness.store.history.get(threadKey)).toEqual([]);
  });
});
