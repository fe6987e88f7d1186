import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toolResultText } from '../fakes/fake-llm.js';
import { remoteServerConfig, startModernFixture, type ModernFixture } from '../fixtures/index.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { RecordingReply } from '../helpers/recording-reply.js';

describe('questions from a 2026-07-28 server (multi round-trip requests) reach the asker (fixture server, fake LLM)', () => {
  let fixture: ModernFixture;
  let harness: EngineHarness;

  beforeAll(async () => {
    fixture = await startModernFixture();
    harness = await startEngineHarness({ servers: [remoteServerConfig('modern', fixture.strictUrl)] });
  });
  afterAll(async () => {
    await harness?.close();
    await fixture?.close();
  });
  beforeEach(() => harness.llm.requests.clear());

  /** The model calls `tool` once, then answers with whatever the bot fed back. */
  const callOnce = (tool: string) => harness.llm.setScript((request) => toolResultText(request) ?? { toolCall: { tool, arguments: {} } });

  function startTurn(text: string) {
    const reply = new RecordingReply();
    const done = harness.engine.handle({ threadKey: `t:${text}`, asker: testAsker('u1'), text }, reply);
    return { reply, done };
  }

  it('shows the form as any other, and the call is retried with the answer', async () => {
    callOnce('ask');
    const { reply, done } = startTurn('fill in the form');
    const form = await reply.elicitationsAsked.waitFor(() => true);
    expect(form).toMatchObject({ askerId: 'u1', server: 'modern', tool: 'ask', message: 'Who should the report be for?' });
    expect(form.fields.map((field) => [field.name, field.kind, field.required])).toEqual([
      ['name', 'text', true],
      ['color', 'choice', false],
    ]);
    expect(await harness.engine.answerElicitation(form.id, 'u1', { action: 'accept', values: { name: 'Ada' } })).toEqual({ kind: 'answered' });
    await done;
    expect(reply.answer?.text).toContain('accept {"name":"Ada","color":"green"}');
    expect(reply.elicitationsEnded.items.map((ended) => ended.outcome)).toEqual(['accepted']);
    const calls = fixture.requests.filter((request) => request.method === 'tools/call');
    expect(calls.length).toBe(2);
    expect(calls.every((request) => request.protocolVersion === '2026-07-28' && request.era === 'modern')).toBe(true);
  });

  it('tells the server when the asker declines', async () => {
    callOnce('ask');
    const { reply, done } = startTurn('decline the form');
    const form = await reply.elicitationsAsked.waitFor(() => true);
    await harness.engine.answerElicitation(form.id, 'u1', { action: 'decline' });
    await done;
    expect(reply.answer?.text).toContain('decline');
    expect(reply.elicitationsEnded.items.map((ended) => ended.outcome)).toEqual(['declined']);
  });

  it('shows a page to open as a question with its link, and says the asker went there', async () => {
    callOnce('visit');
    const { reply, done } = startTurn('sign me in');
    const asked = await reply.elicitationsAsked.waitFor(() => true);
    expect(asked).toMatchObject({ server: 'modern', tool: 'visit', message: 'Sign in to the fixture service.', url: 'https://fixture.example/sign-in', fields: [] });
    await harness.engine.answerElicitation(asked.id, 'u1', { action: 'accept', values: {} });
    await done;
    expect(reply.answer?.text).toContain('accept');
    expect(reply.elicitationsEnded.items.map((ended) => ended.outcome)).toEqual(['accepted']);
  });
});
