import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Asker } from '../../src/access/index.js';
import { ACCESS_DENIED_MESSAGE, type ConversationEngine } from '../../src/engine/index.js';
import { toolResultText, type LlmRequest } from '../fakes/fake-llm.js';
import { fixtureServerConfig, publishedServerConfig } from '../fixtures/index.js';
import { engineBeside } from '../helpers/engine-beside.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { RecordingReply } from '../helpers/recording-reply.js';

/** The files server's access fields; the fixture server's tools are open to all and run without asking. */
const FILES_ACCESS = { allowChannels: ['C-ops', 'dm'], confirmTools: ['write_file'] };
const exists = (file: string) => access(file).then(() => true, () => false);
const systemPrompt = (request: LlmRequest | undefined) => String(request?.messages[0]?.content ?? '');

describe('access control and confirmations in the engine (filesystem server from npm, fixture server, fake LLM)', () => {
  let harness: EngineHarness;
  let dir: string;
  const ops = testAsker('u1', { channelId: 'C-ops' });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'confirm-'));
    harness = await startEngineHarness({
      servers: [
        publishedServerConfig('filesystem', 'files', [dir], FILES_ACCESS),
        fixtureServerConfig('fixture'),
      ],
      access: { users: ['u1', 'u2'], roles: ['R-staff'], channels: [] },
      // Every tool on every request: what is offered here must follow the access lists alone, not a ranking.
      engine: { toolsMaxPerTurn: 100, toolsPromptMaxChars: 100_000 },
    });
  });
  afterAll(async () => {
    await harness?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => harness.llm.requests.clear());

  /** The model writes `file` with write_file, then answers with whatever the bot fed back. */
  const writeThenReport = (file: string) =>
    harness.llm.setScript((request) => toolResultText(request) ?? { toolCall: { tool: 'write_file', arguments: { path: path.join(dir, file), content: 'written' } } });

  function startTurn(text: string, asker: Asker = ops, engine: ConversationEngine = harness.engine) {
    const reply = new RecordingReply();
    const done = engine.handle({ threadKey: `t:${text}`, asker, text }, reply);
    return { reply, done };
  }

  it('refuses someone it does not admit before anything reaches the model, and says so once in ten minutes', async () => {
    const stranger = testAsker('stranger');
    const reply = new RecordingReply();
    await harness.engine.handle({ threadKey: 't:stranger', asker: stranger, text: 'hello' }, reply);
    expect(reply.errorMessage).toBe(ACCESS_DENIED_MESSAGE);
    expect(harness.llm.requests.items).toHaveLength(0);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expect(await harness.engine.checkAccess(stranger)).toEqual({ allowed: false, notice: ACCESS_DENIED_MESSAGE });
      expect(await harness.engine.checkAccess(stranger)).toEqual({ allowed: false, notice: undefined });
      expect(await harness.engine.checkAccess(testAsker('other stranger'))).toEqual({ allowed: false, notice: ACCESS_DENIED_MESSAGE });
      vi.setSystemTime(Date.now() + 10 * 60_000);
      expect(await harness.engine.checkAccess(stranger)).toEqual({ allowed: false, notice: ACCESS_DENIED_MESSAGE });
    } finally {
      vi.useRealTimers();
    }
    expect(await harness.engine.listTools(stranger)).toEqual([]);
    expect(await harness.engine.checkAccess(testAsker('someone', { roleIds: ['R-staff'] }))).toEqual({ allowed: true });
  });

  it("offers a server's tools only in the channels it allows, to the model and in /tools", async () => {
    harness.llm.setScript(() => 'ok');
    await startTurn('elsewhere', testAsker('u1', { channelId: 'C-random' })).done;
    await startTurn('in ops').done;
    const [elsewhere, inOps] = harness.llm.requests.items;
    expect(systemPrompt(elsewhere)).not.toContain('write_file');
    expect(systemPrompt(elsewhere)).toContain('- add:');
    expect(systemPrompt(inOps)).toContain('write_file');
    expect((await harness.engine.listTools(testAsker('u1', { channelId: 'C-random' }))).map((entry) => entry.server)).toEqual(['fixture']);
    expect((await harness.engine.listTools(testAsker('u1', { channelId: 'D1', direct: true }))).map((entry) => entry.server)).toEqual(['files', 'fixture']);
    const files = (await harness.engine.listTools(ops)).find((entry) => entry.server === 'files');
    expect(files?.tools.find((entry) => entry.name === 'write_file')?.asksFirst).toBe(true);
    expect(files?.tools.find((entry) => entry.name === 'read_text_file')?.asksFirst).toBe(false);
  });

  it("runs a tool that asks first once its asker approves, and ignores anyone else's press", async () => {
    writeThenReport('approved.txt');
    const { reply, done } = startTurn('write approved');
    const request = await reply.confirmationsAsked.waitFor(() => true);
    expect(request).toMatchObject({ askerId: 'u1', server: 'files', tool: 'write_file', arguments: { content: 'written' } });
    expect(reply.progressEvents).toEqual([]);

    expect(await harness.engine.decideConfirmation(request.id, 'u2', true)).toEqual({ kind: 'not-yours', askerId: 'u1' });
    expect(await harness.engine.decideConfirmation(request.id, 'u1', true)).toEqual({ kind: 'answered' });
    await done;
    expect(await readFile(path.join(dir, 'approved.txt'), 'utf8')).toBe('written');
    expect(reply.confirmationsEnded.items.map((ended) => ended.outcome)).toEqual(['approved']);
    expect(reply.progressEvents).toMatchObject([{ tool: 'write_file', server: 'files' }]);
    expect(reply.answer?.text).toMatch(/Successfully wrote/);
  });

  it('does not run it when the asker denies, and tells the model so', async () => {
    writeThenReport('denied.txt');
    const { reply, done } = startTurn('write denied');
    const request = await reply.confirmationsAsked.waitFor(() => true);
    await harness.engine.decideConfirmation(request.id, 'u1', false);
    await done;
    expect(await exists(path.join(dir, 'denied.txt'))).toBe(false);
    expect(reply.confirmationsEnded.items.map((ended) => ended.outcome)).toEqual(['denied']);
    expect(reply.answer?.text).toMatch(/The user denied running write_file on files, so it was not run/);
  });

  it('counts no answer within the time-out as denied', async () => {
    writeThenReport('timed-out.txt');
    // The same servers and store as a process configured with a time-out nobody could meet.
    const impatient = engineBeside(harness, { settings: { confirmTimeoutMs: 20 }, servers: [{ name: 'files', ...FILES_ACCESS }] });
    const { reply, done } = startTurn('write timed out', ops, impatient);
    await done;
    expect(await exists(path.join(dir, 'timed-out.txt'))).toBe(false);
    expect(reply.confirmationsAsked.items).toMatchObject([{ tool: 'write_file', askerId: 'u1' }]);
    expect(reply.confirmationsEnded.items.map((ended) => ended.outcome)).toEqual(['timed-out']);
    expect(reply.answer?.text).toMatch(/did not approve running write_file on files in time/);
  });

  it('closes a question asked before a restart as denied, and lets a stopping bot end its waits at once', async () => {
    writeThenReport('restarted.txt');
    const { reply, done } = startTurn('write across a restart');
    const request = await reply.confirmationsAsked.waitFor(() => true);

    // A new process on the same store knows the question, but nothing waits for it there.
    const restarted = engineBeside(harness);
    expect(await restarted.decideConfirmation(request.id, 'u1', true)).toEqual({ kind: 'gone', restarted: true });
    expect(await restarted.decideConfirmation(request.id, 'u1', true)).toEqual({ kind: 'gone', restarted: false });

    harness.engine.cancelQuestions();
    await done;
    expect(await exists(path.join(dir, 'restarted.txt'))).toBe(false);
    expect(reply.confirmationsEnded.items.map((ended) => ended.outcome)).toEqual(['cancelled']);
    expect(reply.answer?.text).toMatch(/could not be asked for right now/);
  });
});
