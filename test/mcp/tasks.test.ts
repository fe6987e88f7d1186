import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskEvents } from '../../src/mcp/types.js';
import { remoteServerConfig } from '../fixtures/index.js';
import { startTaskFixture, type TaskFixture } from '../fixtures/task-fixture.js';
import { Recorder } from '../helpers/recorder.js';
import { startPool, type PoolUnderTest } from './pool-helpers.js';

type TaskEvent = { kind: 'created'; taskId: string } | { kind: 'status'; status: string; message: string | undefined } | { kind: 'overdue'; elapsedMs: number };

/** Task events as a recorder, so a test waits on them. */
function recordTaskEvents(): { events: Recorder<TaskEvent>; task: TaskEvents } {
  const events = new Recorder<TaskEvent>();
  return {
    events,
    task: {
      created: (taskId) => events.push({ kind: 'created', taskId }),
      status: (status, message) => events.push({ kind: 'status', status, message }),
      overdue: (elapsedMs) => events.push({ kind: 'overdue', elapsedMs }),
    },
  };
}

describe('tools that run as MCP tasks (2025-11-25 fixture server over Streamable HTTP)', () => {
  let fixture: TaskFixture;
  let under: PoolUnderTest | undefined;

  beforeAll(async () => {
    fixture = await startTaskFixture();
  });
  afterEach(async () => {
    await under?.pool.close();
    under = undefined;
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('offers a tool that requires task execution, polls its status and returns its result', async () => {
    under = await startPool([remoteServerConfig('tasks', fixture.url)]);
    expect(under.pool.tools().map((tool) => tool.name)).toEqual(['long_job']);
    const { events, task } = recordTaskEvents();
    const outcome = await under.pool.callTool('long_job', { seconds: 2 }, { task });
    expect(outcome).toMatchObject({ ok: true, text: 'job done after 2 s' });
    expect(events.items[0]).toMatchObject({ kind: 'created' });
    expect(events.items.filter((event) => event.kind === 'status').map((event) => (event.kind === 'status' ? event.message : ''))).toEqual(['starting', 'step 1 of 2']);
  });

  it('keeps waiting past the tool time-out, saying so once, up to the task limit', async () => {
    under = await startPool([remoteServerConfig('tasks', fixture.url)], { defaultToolTimeoutMs: 1_000 });
    const { events, task } = recordTaskEvents();
    const outcome = await under.pool.callTool('long_job', { seconds: 2 }, { task });
    expect(outcome).toMatchObject({ ok: true, text: 'job done after 2 s' });
    expect(events.filter((event) => event.kind === 'overdue')).toHaveLength(1);
  });

  it('cancels a task that outlives the task limit, and says why', async () => {
    under = await startPool([remoteServerConfig('tasks', fixture.url)], { maxTaskMs: 1_500 });
    const { events, task } = recordTaskEvents();
    const outcome = await under.pool.callTool('long_job', { seconds: 10 }, { task });
    expect(outcome.ok).toBe(false);
    expect(outcome.text).toBe('tool "long_job" on server "tasks" ran as a task and was cancelled: it ran longer than the task limit of 2 s');
    const created = events.items.find((event) => event.kind === 'created');
    expect(fixture.tasks().find((held) => created?.kind === 'created' && held.taskId === created.taskId)?.status).toBe('cancelled');
  });

  it('cancels a task when the caller aborts, and cancels one by id', async () => {
    under = await startPool([remoteServerConfig('tasks', fixture.url)]);
    const { events, task } = recordTaskEvents();
    const abort = new AbortController();
    const call = under.pool.callTool('long_job', { seconds: 10 }, { task, signal: abort.signal });
    const created = await events.waitFor((event) => event.kind === 'created');
    abort.abort(new Error('the asker cancelled it'));
    expect((await call).text).toBe('tool "long_job" on server "tasks" ran as a task and was cancelled: the asker cancelled it');
    const taskId = created.kind === 'created' ? created.taskId : '';
    expect(fixture.tasks().find((held) => held.taskId === taskId)?.status).toBe('cancelled');
    // Ended already: the server no longer takes it.
    expect(await under.pool.cancelTask('tasks', taskId)).toEqual({ kind: 'unknown' });
  });
});
