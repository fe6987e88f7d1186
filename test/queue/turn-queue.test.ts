import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalTurnQueue, type TurnJob, type TurnLease, type TurnQueue } from '../../src/queue/index.js';
import { Redis } from 'ioredis';
import { RedisTurnQueue } from '../../src/queue/redis-queue.js';
import { FencedOutError, openStore, type Store } from '../../src/store/index.js';
import { testLogger } from '../helpers/logger.js';
import { Recorder } from '../helpers/recorder.js';
import { forgetNamespace, REDIS_URL, redisAvailable } from '../helpers/services.js';
import { runCleanups } from '../helpers/teardown.js';

const tsxLoader = createRequire(import.meta.url).resolve('tsx');

interface Run {
  job: TurnJob;
  lease: TurnLease;
  /** Order of starts, across threads. */
  at: number;
}

interface Backend {
  name: string;
  url: string;
  open(store: Store, leaseMs: number): Promise<TurnQueue>;
}

const backends: Backend[] = [
  { name: 'in-process (SQLite)', url: 'sqlite://', open: async (store) => new LocalTurnQueue(store.kv, testLogger()) },
  ...(redisAvailable ? [{ name: 'Redis (groupmq)', url: REDIS_URL, open: (store: Store, leaseMs: number) => RedisTurnQueue.open({ url: REDIS_URL, namespace: store.kv.namespace!, leaseMs, concurrency: 8, logger: testLogger() }) }] : []),
];
if (!redisAvailable) console.warn('Redis is not running on 127.0.0.1:6379: the turn queue contract runs on the in-process queue only.');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await runCleanups(cleanups.splice(0));
});

async function openBackendStore(backend: Backend): Promise<Store> {
  const url = backend.url === 'sqlite://' ? `sqlite://${path.join((await import('node:os')).tmpdir(), `queue-${randomUUID()}.sqlite`)}` : backend.url;
  const store = await openStore({ url, historyTtlMs: 60_000, namespace: `test-${randomUUID()}` }, testLogger());
  cleanups.push(async () => {
    if (url.startsWith('redis')) await forgetNamespace(store, url);
    await store.close();
  });
  return store;
}

const job = (threadKey: string, id: string, orderMs = Date.now()): TurnJob => ({ id, threadKey, orderMs, platform: 'test', data: { id } });

/**
 * A queue whose handler records each run and holds it until the test lets it go (`release(id)`), or,
 * for the ids in `workMs`, works that long (a long turn).
 */
async function recordingQueue(backend: Backend, store: Store, leaseMs = 15_000, workMs: Record<string, number> = {}) {
  const queue = await backend.open(store, leaseMs);
  const runs = new Recorder<Run>();
  const done = new Recorder<string>();
  const gates = new Map<string, () => void>();
  const gated = new Set<string>();
  let started = 0;
  await queue.start(async (running, lease) => {
    runs.push({ job: running, lease, at: (started += 1) });
    if (gated.has(running.id)) await new Promise<void>((resolve) => gates.set(running.id, resolve));
    const work = workMs[running.id];
    if (work !== undefined) await new Promise((resolve) => setTimeout(resolve, work));
    done.push(running.id);
  });
  cleanups.push(async () => {
    for (const open of gates.values()) open();
    await queue.stop(2_000);
    await queue.close();
  });
  const release = async (id: string) => {
    await runs.waitFor((run) => run.job.id === id, { what: `${id} running` });
    gates.get(id)!();
  };
  return { queue, runs, done, hold: (id: string) => gated.add(id), release };
}

describe.each(backends)('turn queue contract: $name', (backend) => {
  it('runs the jobs of one thread one at a time, in order, whatever order their thread mates finish in', async () => {
    const store = await openBackendStore(backend);
    const { queue, runs, done, hold, release } = await recordingQueue(backend, store);
    hold('a1');
    for (const id of ['a1', 'a2', 'a3']) await queue.enqueue(job('thread-a', id));
    await runs.waitFor((run) => run.job.id === 'a1');
    expect(runs.items.map((run) => run.job.id)).toEqual(['a1']);
    await release('a1');
    await done.waitFor((id) => id === 'a3', { what: 'a3 done' });
    expect(runs.items.map((run) => run.job.id)).toEqual(['a1', 'a2', 'a3']);
  });

  it('gives a job its place as enqueue is called, before any round trip: back-to-back calls run in call order', async () => {
    const store = await openBackendStore(backend);
    const { queue, done } = await recordingQueue(backend, store);
    const same = Date.now();
    await Promise.all(['c1', 'c2', 'c3', 'c4'].map((id) => queue.enqueue(job('thread-c', id, same))));
    await done.waitFor((id) => id === 'c4');
    expect(done.items).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('runs different threads at once', async () => {
    const store = await openBackendStore(backend);
    const { queue, runs, hold, release } = await recordingQueue(backend, store);
    hold('a1');
    hold('b1');
    await queue.enqueue(job('thread-a', 'a1'));
    await queue.enqueue(job('thread-b', 'b1'));
    await runs.waitFor((run) => run.job.id === 'a1');
    await runs.waitFor((run) => run.job.id === 'b1', { what: 'b1 running while a1 still runs' });
    expect(queue.running()).toBe(2);
    expect(await queue.counts()).toMatchObject({ active: 2 });
    await release('a1');
    await release('b1');
  });

  it('takes a job id once: a redelivery while it waits, runs, or after it ran is a duplicate', async () => {
    const store = await openBackendStore(backend);
    const { queue, runs, done, hold, release } = await recordingQueue(backend, store);
    hold('x1');
    expect(await queue.enqueue(job('thread-x', 'x1'))).toBe('queued');
    await runs.waitFor((run) => run.job.id === 'x1');
    expect(await queue.enqueue(job('thread-x', 'x1'))).toBe('duplicate');
    await release('x1');
    await done.waitFor((id) => id === 'x1');
    expect(await queue.enqueue(job('thread-x', 'x1'))).toBe('duplicate');
    expect(await queue.enqueue(job('thread-x', 'x2'))).toBe('queued');
    await done.waitFor((id) => id === 'x2');
    expect(runs.items.map((run) => run.job.id)).toEqual(['x1', 'x2']);
  });

  it('tells a first run that it is one, and how long it waited', async () => {
    const store = await openBackendStore(backend);
    const { queue, runs } = await recordingQueue(backend, store);
    await queue.enqueue(job('thread-w', 'w1'));
    const run = await runs.waitFor((candidate) => candidate.job.id === 'w1');
    expect(run.lease.attempt).toBe(1);
    expect(run.lease.interruptedTool).toBeUndefined();
    expect(run.lease.waitedMs).toBeGreaterThanOrEqual(0);
    expect(run.job).toEqual(job('thread-w', 'w1', run.job.orderMs));
  });
});

describe.runIf(redisAvailable)('Redis turn queue across processes', () => {
  // Whole seconds: groupmq renews a lease from Redis's clock in seconds.
  it('keeps a turn running for five leases with the process renewing it: nobody takes it over', async () => {
    const store = await openBackendStore(backends[1]!);
    const leaseMs = 1_500;
    const first = await recordingQueue(backends[1]!, store, leaseMs, { long: 5 * leaseMs });
    const second = await recordingQueue(backends[1]!, store, leaseMs, { long: 5 * leaseMs });
    await first.queue.enqueue(job('thread-l', 'long'));
    await Promise.race([first.done.waitFor((id) => id === 'long', { timeoutMs: 15_000 }), second.done.waitFor((id) => id === 'long', { timeoutMs: 15_000 })]);
    const runs = [...first.runs.items, ...second.runs.items].filter((run) => run.job.id === 'long');
    expect(runs.map((run) => run.lease.attempt)).toEqual([1]);
  });

  /** A bot process's share of the queue in a process of its own (queue-worker-child.ts), ready; its output lines recorded. */
  async function workerProcess(store: Store, leaseMs: number) {
    const child = spawn(process.execPath, ['--import', tsxLoader, path.join(import.meta.dirname, 'queue-worker-child.ts'), REDIS_URL, store.kv.namespace!, String(leaseMs)], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = new Recorder<string>();
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop()!;
      parts.filter(Boolean).forEach((line) => lines.push(line));
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      await exited;
    });
    await lines.waitFor((line) => line === 'ready', { timeoutMs: 20_000, what: 'the worker process ready' });
    /** Sends `signal` to the process (its group: tsx runs it under a loader). */
    const signal = (name: NodeJS.Signals) => process.kill(-child.pid!, name);
    const say = (line: string) => child.stdin.write(`${line}\n`);
    return { lines, exited, signal, say };
  }

  it('gives the turns of a process killed mid-turn to another within a lease and a third: from the start, or, after a tool started, as interrupted', async () => {
    const store = await openBackendStore(backends[1]!);
    const leaseMs = 1_500;
    const { lines, exited, signal } = await workerProcess(store, leaseMs);
    const enqueuer = await backends[1]!.open(store, leaseMs);
    cleanups.push(async () => enqueuer.close());
    await enqueuer.enqueue(job('thread-p', 'plain'));
    await enqueuer.enqueue(job('thread-q', 'with-tool'));
    await enqueuer.enqueue(job('thread-s', 'with-tool-answered'));
    await enqueuer.enqueue(job('thread-p', 'after-plain'));
    // A thread whose next job the dying process took as it finished the one before.
    await enqueuer.enqueue(job('thread-r', 'quick-first'));
    await enqueuer.enqueue(job('thread-r', 'chained'));
    await lines.waitFor((line) => line === 'running plain');
    await lines.waitFor((line) => line === 'running with-tool');
    await lines.waitFor((line) => line === 'running with-tool-answered');
    await lines.waitFor((line) => line === 'running chained');
    signal('SIGKILL');
    const killedAt = Date.now();
    await exited;

    const { runs, done } = await recordingQueue(backends[1]!, store, leaseMs);
    const plain = await runs.waitFor((run) => run.job.id === 'plain', { timeoutMs: 20_000, what: 'plain taken over' });
    const withTool = await runs.waitFor((run) => run.job.id === 'with-tool', { timeoutMs: 20_000, what: 'with-tool taken over' });
    await enqueuer.enqueue(job('thread-r', 'after-chained'));
    await done.waitFor((id) => id === 'after-chained', { timeoutMs: 20_000, what: 'the thread of the chained job going on' });
    expect(runs.items.filter((run) => run.job.threadKey === 'thread-r').map((run) => [run.job.id, run.lease.attempt])).toEqual([
      ['chained', 2],
      ['after-chained', 1],
    ]);
    expect(Date.now() - killedAt).toBeLessThan(leaseMs * 2 + 3_000);
    expect(plain.lease).toMatchObject({ attempt: 2, interruptedTool: undefined, earlierReplies: [{ message: 'reply to plain' }] });
    expect(withTool.lease).toMatchObject({ attempt: 2, interruptedTool: { server: 'files', tool: 'write_file' } });
    expect(withTool.lease.savedAnswer).toBeUndefined();
    const answered = await runs.waitFor((run) => run.job.id === 'with-tool-answered', { timeoutMs: 20_000, what: 'with-tool-answered taken over' });
    expect(answered.lease).toMatchObject({ attempt: 2, savedAnswer: 'the answer to with-tool-answered' });
    // The thread's next message still waits for the one taken over, and runs after it.
    await done.waitFor((id) => id === 'after-plain');
    expect(runs.items.filter((run) => run.job.threadKey === 'thread-p').map((run) => run.job.id)).toEqual(['plain', 'after-plain']);
  });

  it('refuses a stalled process its tool, records and answer once another took its turn over, and holds the thread for that run until it ends', async () => {
    const store = await openBackendStore(backends[1]!);
    const leaseMs = 1_500;
    const { lines, signal, say } = await workerProcess(store, leaseMs);
    const enqueuer = await backends[1]!.open(store, leaseMs);
    cleanups.push(async () => enqueuer.close());
    await enqueuer.enqueue(job('thread-st', 'stalled'));
    // `quick`: the worker process finishes it at once, should it be the one that runs it.
    await enqueuer.enqueue(job('thread-st', 'after-stalled-quick'));
    await lines.waitFor((line) => line === 'running stalled');
    // Paused as a VM or a long event-loop pause would leave it: its lease lapses, and another process takes the turn.
    signal('SIGSTOP');
    const other = await recordingQueue(backends[1]!, store, leaseMs);
    other.hold('stalled');
    const takeOver = await other.runs.waitFor((run) => run.job.id === 'stalled', { timeoutMs: 20_000, what: 'the stalled turn taken over' });
    expect(takeOver.lease.attempt).toBe(2);
    signal('SIGCONT');
    say('go');
    const outcomes = ['toolStarting', 'replyStarted', 'answerSaved'];
    await lines.waitFor((line) => line.startsWith('answerSaved '), { what: "the stalled run's last try" });
    expect(lines.items.filter((line) => outcomes.some((outcome) => line.startsWith(`${outcome} `)))).toEqual(outcomes.map((outcome) => `${outcome} refused TurnTakenOverError`));
    await lines.waitFor((line) => line.includes('it lets the queue go once that run has ended'), { what: 'the stalled run holding on' });
    // The take-over is still the owner: its own record works, and the thread's next message waits for it.
    await expect(takeOver.lease.toolStarting({ step: 1, server: 'files', tool: 'read_file' })).resolves.toBeUndefined();
    const nextRan = () => other.runs.items.some((run) => run.job.id === 'after-stalled-quick') || lines.items.includes('running after-stalled-quick');
    expect(nextRan()).toBe(false);
    await other.release('stalled');
    await lines.waitFor((line) => line.includes('the run that took this turn over has ended'), { what: 'the stalled run letting go' });
    await Promise.any([other.runs.waitFor((run) => run.job.id === 'after-stalled-quick', { timeoutMs: 10_000 }), lines.waitFor((line) => line === 'running after-stalled-quick', { timeoutMs: 10_000 })]);
    expect(other.done.items[0]).toBe('stalled');
  });

  it('runs a thread groupmq left waiting with nothing running and out of its ready set, as it can after a death under load', async () => {
    const store = await openBackendStore(backends[1]!);
    const enqueuer = await backends[1]!.open(store, 1_500);
    cleanups.push(async () => enqueuer.close());
    await enqueuer.enqueue(job('thread-stranded', 'stranded'));
    const redis = new Redis(REDIS_URL);
    cleanups.push(async () => void (await redis.quit()));
    expect(await redis.zrem(`groupmq:${store.kv.namespace}:turns:ready`, 'thread-stranded')).toBe(1);
    const { done } = await recordingQueue(backends[1]!, store, 1_500);
    await done.waitFor((id) => id === 'stranded', { timeoutMs: 10_000, what: 'the stranded thread run' });
  });

  it('refuses the history write of a turn whose thread another process took since (fencing)', async () => {
    const store = await openBackendStore(backends[1]!);
    const stale = await store.history.fence!('thread-f');
    const current = await store.history.fence!('thread-f');
    expect(current).toBeGreaterThan(stale);
    await store.history.set('thread-f', [{ role: 'user', content: 'newer' }], current);
    await expect(store.history.set('thread-f', [{ role: 'user', content: 'older' }], stale)).rejects.toBeInstanceOf(FencedOutError);
    expect(await store.history.get('thread-f')).toEqual([{ role: 'user', content: 'newer' }]);
  });
});

