import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_DENIED_MESSAGE, type ConversationEngine } from '../../src/engine/index.js';
import { openStore, redisClientOf, type Store } from '../../src/store/index.js';
import { toolResultText } from '../fakes/fake-llm.js';
import { fixtureServerConfig, remoteServerConfig } from '../fixtures/index.js';
import { startTaskFixture, type TaskFixture } from '../fixtures/task-fixture.js';
import { engineBeside } from '../helpers/engine-beside.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { RecordingReply, TaskReply } from '../helpers/recording-reply.js';
import { forgetNamespace, REDIS_URL, redisAvailable } from '../helpers/services.js';

/** The fixture's echo asks its asker first, on every process. */
const SERVER_ACCESS = [{ name: 'fixture', confirmTools: ['echo'] }];

describe.skipIf(!redisAvailable)('several bot processes sharing one Redis: a question or a task of one is answered on another (fixture servers, fake LLM)', () => {
  let harness: EngineHarness;
  let tasks: TaskFixture;
  const opened: Store[] = [];

  beforeAll(async () => {
    tasks = await startTaskFixture();
    harness = await startEngineHarness({ servers: [fixtureServerConfig('fixture'), remoteServerConfig('tasks', tasks.url)] });
  });
  afterAll(async () => {
    await harness?.close();
    await tasks?.close();
  });
  afterEach(async () => {
    // The last one opened is never closed by a test.
    const last = opened.at(-1);
    if (last) await forgetNamespace(last, REDIS_URL);
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  /** Processes of one deployment: each its own store connection (and bus) on one Redis namespace, the same servers and model. */
  async function processes(count: number): Promise<{ engines: ConversationEngine[]; stores: Store[] }> {
    const namespace = `test-${randomUUID()}`;
    const stores: Store[] = [];
    for (let index = 0; index < count; index += 1) {
      stores.push(await openStore({ url: REDIS_URL, historyTtlMs: 60_000, namespace }, harness.logger));
      opened.push(stores.at(-1)!);
    }
    return { engines: stores.map((store) => engineBeside(harness, { store, servers: SERVER_ACCESS })), stores };
  }

  async function twoProcesses(): Promise<{ a: ConversationEngine; b: ConversationEngine; storeOfA: Store }> {
    const { engines, stores } = await processes(2);
    return { a: engines[0]!, b: engines[1]!, storeOfA: stores[0]! };
  }

  /** A stopped process's connections may have been reopened by its turn's last writes (a closed Redis store reconnects on use); a dead one holds none. */
  function dropConnection(store: Store): void {
    const client = redisClientOf(store.kv);
    if (client?.isOpen) client.destroy();
  }

  /** The model calls `tool` with `args` once, then answers with whatever the bot fed back. */
  const callOnce = (tool: string, args: Record<string, unknown> = {}) => harness.llm.setScript((request) => toolResultText(request) ?? { toolCall: { tool, arguments: args } });

  function startTurn<R extends RecordingReply>(engine: ConversationEngine, text: string, reply: R): { reply: R; done: Promise<void> } {
    const done = engine.handle({ threadKey: `t:${randomUUID()}`, asker: testAsker('u1'), text }, reply);
    return { reply, done };
  }

  it('resolves the wait on the process that asked when its asker approves on another', async () => {
    callOnce('echo', { text: 'written by A' });
    const { a, b } = await twoProcesses();
    const { reply, done } = startTurn(a, 'echo, once I approve', new RecordingReply());
    const request = await reply.confirmationsAsked.waitFor(() => true);
    expect(await b.decideConfirmation(request.id, 'u1', true)).toEqual({ kind: 'answered' });
    await done;
    expect(reply.confirmationsEnded.items.map((ended) => ended.outcome)).toEqual(['approved']);
    expect(reply.answer?.text).toContain('written by A');
    expect(await b.decideConfirmation(request.id, 'u1', true)).toEqual({ kind: 'gone', restarted: false });
  });

  it("refuses a stranger's press on another process, and the question keeps waiting for its asker", async () => {
    callOnce('echo', { text: 'not for strangers' });
    const { a, b } = await twoProcesses();
    const { reply, done } = startTurn(a, 'echo, if I say so', new RecordingReply());
    const request = await reply.confirmationsAsked.waitFor(() => true);
    expect(await b.decideConfirmation(request.id, 'u2', true)).toEqual({ kind: 'not-yours', askerId: 'u1' });
    expect(reply.confirmationsEnded.items).toEqual([]);
    expect(await b.decideConfirmation(request.id, 'u1', false)).toEqual({ kind: 'answered' });
    await done;
    expect(reply.confirmationsEnded.items.map((ended) => ended.outcome)).toEqual(['denied']);
  });

  it('closes an answer as gone when the process that asked has stopped', async () => {
    callOnce('echo', { text: 'never' });
    const { a, b, storeOfA } = await twoProcesses();
    const { reply, done } = startTurn(a, 'echo, then stop', new RecordingReply());
    const request = await reply.confirmationsAsked.waitFor(() => true);
    // A's connections drop, as they do when its process dies; its question stays in the store.
    await storeOfA.close();
    expect(await b.decideConfirmation(request.id, 'u1', true)).toEqual({ kind: 'gone', restarted: true });
    a.cancelQuestions();
    await done;
    expect(reply.confirmationsEnded.items.map((ended) => ended.outcome)).toEqual(['cancelled']);
    dropConnection(storeOfA);
  });

  it("shows a server's form on another process with its fields, and takes the answer there", async () => {
    callOnce('ask');
    const { a, b } = await twoProcesses();
    const { reply, done } = startTurn(a, 'fill in the form on B', new RecordingReply());
    const form = await reply.elicitationsAsked.waitFor(() => true);
    const seenOnB = await b.waitingElicitation(form.id);
    expect(seenOnB).toEqual(form);
    expect(seenOnB?.fields.map((field) => field.name)).toEqual(['name', 'color', 'copies', 'urgent']);
    expect(await b.answerElicitation(form.id, 'u1', { action: 'accept', values: { name: '' } })).toMatchObject({ kind: 'invalid', message: expect.stringContaining('Name is required') });
    expect(await b.answerElicitation(form.id, 'u1', { action: 'accept', values: { name: 'Ada' } })).toEqual({ kind: 'answered' });
    await done;
    expect(reply.answer?.text).toContain('"name":"Ada"');
    expect(await b.waitingElicitation(form.id)).toBeUndefined();
  });

  it("cancels a task running on one process when its asker presses Cancel on another; nobody else may", async () => {
    callOnce('long_job', { seconds: 30 });
    const { a, b } = await twoProcesses();
    const { reply, done } = startTurn(a, 'run the job', new TaskReply());
    const started = await reply.taskStarted();
    expect(await b.cancelTask(started.cancelId, 'u2')).toEqual({ kind: 'not-yours', askerId: 'u1' });
    expect(await b.cancelTask(started.cancelId, 'u1')).toEqual({ kind: 'answered' });
    await done;
    expect(reply.answer?.text).toContain('ran as a task and was cancelled: the person who asked cancelled it');
    expect(await b.cancelTask(started.cancelId, 'u1')).toEqual({ kind: 'gone', restarted: false });
  });

  it('leaves the tasks of a process still running alone when another process starts', async () => {
    callOnce('long_job', { seconds: 30 });
    const { a, b } = await twoProcesses();
    const { reply, done } = startTurn(a, 'run the job while B starts', new TaskReply());
    const started = await reply.taskStarted();
    const told: string[] = [];
    await b.cancelLeftoverTasks(async (threadKey) => {
      told.push(threadKey);
      return true;
    });
    expect(told).toEqual([]);
    expect(await a.cancelTask(started.cancelId, 'u1')).toEqual({ kind: 'answered' });
    await done;
    expect(reply.answer?.text).toContain('the person who asked cancelled it');
  });

  it('cancels a stopped process’s task once when two processes start together', async () => {
    callOnce('long_job', { seconds: 30 });
    const { engines, stores } = await processes(3);
    const [a, b, c] = engines as [ConversationEngine, ConversationEngine, ConversationEngine];
    const { reply, done } = startTurn(a, 'run the job, then stop', new TaskReply());
    await reply.taskStarted();
    const left = tasks.tasks().at(-1);
    await stores[0]!.close();
    const told: string[] = [];
    const tell = async (threadKey: string) => {
      told.push(threadKey);
      return true;
    };
    await Promise.all([b.cancelLeftoverTasks(tell), c.cancelLeftoverTasks(tell)]);
    expect(told).toHaveLength(1);
    expect(tasks.tasks().find((task) => task.taskId === left?.taskId)?.status).toBe('cancelled');
    // A's turn, still polling here, sees the server's cancellation.
    await done;
    dropConnection(stores[0]!);
  });

  it('tells a refused person once in ten minutes from all processes together', async () => {
    const { stores } = await processes(2);
    const onlyStaff = { users: ['staff'], roles: [], channels: [] };
    const [a, b] = stores.map((store) => engineBeside(harness, { store, access: onlyStaff }));
    const stranger = testAsker('stranger', { personId: `test:${randomUUID()}` });
    expect(await a!.checkAccess(stranger)).toEqual({ allowed: false, notice: ACCESS_DENIED_MESSAGE });
    expect(await b!.checkAccess(stranger)).toEqual({ allowed: false, notice: undefined });
    expect(await a!.checkAccess(stranger)).toEqual({ allowed: false, notice: undefined });
  });
});
