import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { toolResultText } from '../fakes/fake-llm.js';
import { remoteServerConfig } from '../fixtures/index.js';
import { startTaskFixture, type TaskFixture } from '../fixtures/task-fixture.js';
import { engineBeside } from '../helpers/engine-beside.js';
import { startEngineHarness, testAsker, type EngineHarness, type EngineHarnessOptions } from '../helpers/engine-harness.js';
import { TaskReply } from '../helpers/recording-reply.js';

describe('tools that run as MCP tasks, through the engine (task fixture server, fake LLM)', () => {
  let fixture: TaskFixture;
  let harness: EngineHarness | undefined;

  beforeAll(async () => {
    fixture = await startTaskFixture();
  });
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  afterAll(async () => {
    await fixture?.close();
  });

  /** The model calls long_job once, then answers with whatever the bot fed back. */
  async function start(seconds: number, options: EngineHarnessOptions = {}): Promise<EngineHarness> {
    harness = await startEngineHarness({ servers: [remoteServerConfig('tasks', fixture.url)], ...options });
    harness.llm.setScript((request) => toolResultText(request) ?? { toolCall: { tool: 'long_job', arguments: { seconds } } });
    return harness;
  }

  function startTurn(engine: EngineHarness['engine'], threadKey: string) {
    const reply = new TaskReply();
    const done = engine.handle({ threadKey, asker: testAsker('u1'), text: 'run the job' }, reply);
    return { reply, done };
  }

  it('shows the task status while it runs, then delivers its result', async () => {
    const { engine } = await start(5);
    const { reply, done } = startTurn(engine, 'tasks:status');
    await done;
    expect(reply.answer?.text).toContain('job done after 5 s');
    expect(reply.events.some((event) => event.type === 'task-started' && event.tool === 'long_job' && event.server === 'tasks')).toBe(true);
    expect(reply.details()).toEqual(['starting', 'step 1 of 5', 'step 2 of 5', 'step 3 of 5', 'step 4 of 5']);
    expect(reply.events.filter((event) => event.type === 'tool-finished')).toMatchObject([{ ok: true, tool: 'long_job' }]);
  });

  it('cancels the task when its asker presses Cancel, and tells the model so; nobody else may', async () => {
    const { engine } = await start(30);
    const { reply, done } = startTurn(engine, 'tasks:cancel');
    const started = await reply.taskStarted();
    expect(await engine.cancelTask(started.cancelId, 'someone-else')).toEqual({ kind: 'not-yours', askerId: 'u1' });
    expect(await engine.cancelTask(started.cancelId, 'u1')).toEqual({ kind: 'answered' });
    await done;
    expect(reply.answer?.text).toContain('ran as a task and was cancelled: the person who asked cancelled it');
    expect(fixture.tasks().at(-1)?.status).toBe('cancelled');
    expect(await engine.cancelTask(started.cancelId, 'u1')).toEqual({ kind: 'gone', restarted: false });
  });

  it('keeps a task that outlives the tool time-out, telling the thread it is still working', async () => {
    const { engine } = await start(3, { mcp: { defaultToolTimeoutMs: 1_500 } });
    const { reply, done } = startTurn(engine, 'tasks:overdue');
    await done;
    expect(reply.answer?.text).toContain('job done after 3 s');
    expect(reply.details().some((detail) => /^step 1 of 3 \(still working after [12] s\)$/.test(detail))).toBe(true);
  });

  it('cancels at start-up what a stopped bot left running, telling the thread', async () => {
    const first = await start(30);
    const { reply, done } = startTurn(first.engine, 'tasks:restart');
    await reply.taskStarted();
    const left = fixture.tasks().at(-1);
    // The first process is gone without cleaning up; the next one starts over the same store and servers.
    const second = engineBeside(first);
    const told: { threadKey: string; text: string }[] = [];
    await second.cancelLeftoverTasks(async (threadKey, text) => {
      told.push({ threadKey, text });
      return true;
    });
    expect(fixture.tasks().find((task) => task.taskId === left?.taskId)?.status).toBe('cancelled');
    expect(told).toEqual([{ threadKey: 'tasks:restart', text: '⏹️ I restarted while `long_job` on `tasks` was running as a task, so I cancelled it. Ask again if you still want it.' }]);
    // Taken out of the store: a third start finds nothing left.
    const third = engineBeside(first);
    const toldAgain: string[] = [];
    await third.cancelLeftoverTasks(async (threadKey) => {
      toldAgain.push(threadKey);
      return true;
    });
    expect(toldAgain).toEqual([]);
    // The first engine, still polling here, sees the server's cancellation.
    await done;
    expect(reply.answer?.text).toContain('ran as a task and was cancelled: Client cancelled task execution.');
  });
});
