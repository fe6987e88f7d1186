import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toolResultText, type LlmRequest } from '../fakes/fake-llm.js';
import { fixtureServerConfig } from '../fixtures/index.js';
import { engineBeside } from '../helpers/engine-beside.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { capturingLogger, type LogLine } from '../helpers/logger.js';
import type { Recorder } from '../helpers/recorder.js';
import { RecordingReply } from '../helpers/recording-reply.js';

const SAMPLING_SYSTEM_PROMPT = 'Answer briefly.';
const isSampling = (request: LlmRequest) => request.messages[0]?.content === SAMPLING_SYSTEM_PROMPT;

describe('what servers do during a call: progress, logs, forms and sampling (fixture servers, fake LLM)', () => {
  let harness: EngineHarness;
  let logs: Recorder<LogLine>;

  beforeAll(async () => {
    const captured = capturingLogger();
    logs = captured.logs;
    harness = await startEngineHarness({
      servers: [fixtureServerConfig('fixture', { allowSampling: true }), fixtureServerConfig('plain', { allowTools: ['sample'] })],
      engine: { maxSamplesPerTurn: 1 },
      logger: captured.logger,
    });
  });
  afterAll(async () => {
    await harness?.close();
  });
  beforeEach(() => harness.llm.requests.clear());

  /** The model calls `tool` with `args` once, then answers with whatever the bot fed back. */
  const callOnce = (tool: string, args: Record<string, unknown> = {}) =>
    harness.llm.setScript((request) => (isSampling(request) ? 'forty-two' : (toolResultText(request) ?? { toolCall: { tool, arguments: args } })));

  function startTurn(text: string, engine = harness.engine) {
    const reply = new RecordingReply();
    const done = engine.handle({ threadKey: `t:${text}`, asker: testAsker('u1'), text }, reply);
    return { reply, done };
  }

  it("shows a long tool's progress reports, and logs what the server logs with the server named", async () => {
    callOnce('steps');
    const { reply, done } = startTurn('steps please');
    await done;
    expect(reply.progressEvents.map((event) => ('detail' in event ? event.detail : undefined))).toEqual([undefined, 'step 1 (1/3)', 'step 2 (2/3)', 'step 3 (3/3)']);
    expect(reply.answer?.text).toContain('done in three steps');
    const logged = await logs.waitFor((line) => line.msg === 'server log' && (line as { data?: string }).data === 'all three steps done');
    expect(logged).toMatchObject({ level: 40, server: 'fixture', serverLogger: 'steps' });
  });

  it("puts a server's form to the asker, checks the answer, and returns it", async () => {
    callOnce('ask');
    const { reply, done } = startTurn('fill in the form');
    const form = await reply.elicitationsAsked.waitFor(() => true);
    expect(form).toMatchObject({ askerId: 'u1', server: 'fixture', tool: 'ask', message: 'Who should the report be for?' });
    expect(form.fields).toEqual([
      { name: 'name', title: 'Name', description: 'Full name', kind: 'text', required: true, default: undefined },
      { name: 'color', title: 'Color', description: undefined, kind: 'choice', required: false, default: 'green', options: ['red', 'green', 'blue'].map((value) => ({ value, label: value })) },
      { name: 'copies', title: 'Copies', description: undefined, kind: 'integer', required: false, default: 2 },
      { name: 'urgent', title: 'Urgent', description: undefined, kind: 'boolean', required: false, default: false },
    ]);

    expect(await harness.engine.answerElicitation(form.id, 'u2', { action: 'decline' })).toEqual({ kind: 'not-yours', askerId: 'u1' });
    expect(await harness.engine.answerElicitation(form.id, 'u1', { action: 'accept', values: { name: '', copies: 'many', color: 'purple' } })).toEqual({
      kind: 'invalid',
      message: 'Name is required; Color must be one of: red, green, blue; Copies needs a whole number.',
    });
    expect(await harness.engine.answerElicitation(form.id, 'u1', { action: 'accept', values: { name: 'Ada', color: 'Blue', copies: '3', urgent: 'yes' } })).toEqual({ kind: 'answered' });
    await done;
    expect(reply.answer?.text).toContain('accept {"name":"Ada","color":"blue","copies":3,"urgent":true}');
    expect(reply.elicitationsEnded.items.map((ended) => ended.outcome)).toEqual(['accepted']);
  });

  it("fills in the server's defaults for what the person leaves empty", async () => {
    callOnce('ask');
    const { reply, done } = startTurn('only a name');
    const form = await reply.elicitationsAsked.waitFor(() => true);
    await harness.engine.answerElicitation(form.id, 'u1', { action: 'accept', values: { name: 'Bo' } });
    await done;
    expect(reply.answer?.text).toContain('accept {"name":"Bo","color":"green","copies":2,"urgent":false}');
  });

  it('tells the server when the person declines, and cancels when nobody answers in time', async () => {
    callOnce('ask');
    const declined = startTurn('no thanks');
    await harness.engine.answerElicitation((await declined.reply.elicitationsAsked.waitFor(() => true)).id, 'u1', { action: 'decline' });
    await declined.done;
    expect(declined.reply.answer?.text).toContain('Result of ask:\ndecline');

    // Forms wait minutes for a person; an engine of its own with a short wait lets this one lapse at once.
    const impatient = engineBeside(harness, { settings: { elicitationTimeoutMs: 20 } });
    const ignored = startTurn('nobody home', impatient);
    await ignored.done;
    expect(ignored.reply.answer?.text).toContain('Result of ask:\ncancel');
    expect(ignored.reply.elicitationsEnded.items.map((ended) => ended.outcome)).toEqual(['timed-out']);
  });

  it('serves sampling with the bot’s model for a server allowed it, up to the per-question cap', async () => {
    const calls = [{ tool: 'fixture_sample', arguments: { question: 'what is six times seven?' } }, { tool: 'fixture_sample', arguments: { question: 'and again?' } }];
    harness.llm.setScript((request) => {
      if (isSampling(request)) return 'forty-two';
      const fedBack = request.messages.filter((message) => String(message.content).startsWith('[tool] ')).length;
      return calls[fedBack] ? { toolCall: calls[fedBack] } : 'finished';
    });
    const { reply, done } = startTurn('ask the server to sample');
    await done;
    expect(reply.answer?.text).toBe('finished');
    const sampling = harness.llm.requests.filter(isSampling);
    expect(sampling).toHaveLength(1);
    expect(sampling[0]?.messages.map((message) => message.content)).toEqual([SAMPLING_SYSTEM_PROMPT, 'what is six times seven?']);
    const feedback = harness.llm.requests.filter((request) => !isSampling(request)).map((request) => toolResultText(request) ?? '');
    expect(feedback[1]).toContain('the model said: forty-two');
    expect(feedback[2]).toContain('at most 1 sampling requests per question');
  });

  it('refuses sampling to a server not allowed it, saying how an operator can allow it', async () => {
    callOnce('plain_sample', { question: 'may I?' });
    const { reply, done } = startTurn('a server without sampling');
    await done;
    expect(reply.answer?.text).toMatch(/does not let server "plain" use its model; an operator can set "allowSampling": true/);
    expect(harness.llm.requests.filter(isSampling)).toEqual([]);
  });
});
