import { describeTool, jsonModeSystemPrompt } from '../src/engine/system-prompt.js';
import type { ChatMessage } from '../src/llm/types.js';
import { now, percentile } from './measure.js';
import { LocalTurnQueue } from '../src/queue/index.js';
import { BENCH_ASKER, engineWith, logger, rawClient, scriptedModel, SilentReply, sqliteStore, startPool } from './setup.js';

export interface OverheadFigures {
  overhead_p50_ms: number;
  overhead_p99_ms: number;
  pool_call_ratio: number;
}

/**
 * The engine's own cost per turn: a whole turn as the platforms run it (queued on the in-process turn
 * queue, zero-latency model, one echo call over stdio, SQLite history) against the same steps done raw
 * (SDK callTool, history get/set, prompt build), interleaved.
 */
export async function measureOverhead(turns: number, poolCalls: number): Promise<OverheadFigures> {
  const pool = await startPool(['fixture']);
  const raw = await rawClient();
  const { store, close } = await sqliteStore();
  const engine = engineWith(scriptedModel({ useTool: true }), pool, store);
  const model = scriptedModel({ useTool: true });
  const queue = new LocalTurnQueue(store.kv, logger);
  const finished = new Map<string, () => void>();
  await queue.start(async (job) => {
    await engine.handle({ threadKey: job.threadKey, asker: BENCH_ASKER, text: 'echo something' }, new SilentReply());
    finished.get(job.id)?.();
  });
  const queuedTurn = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const id = `bench-${index}`;
      finished.set(id, resolve);
      queue.enqueue({ id, threadKey: `bench:engine:${index}`, orderMs: Date.now(), platform: 'bench', data: null }).catch(reject);
    });
  try {
    const engineTimes: number[] = [];
    const rawTimes: number[] = [];
    for (let index = 0; index < turns + 50; index += 1) {
      const started = now();
      await queuedTurn(index);
      const engineTime = now() - started;

      const rawStarted = now();
      const history = await store.history.get(`bench:raw:${index}`);
      const prompt: ChatMessage[] = [{ role: 'system', content: jsonModeSystemPrompt(pool.tools().map(describeTool)) }, ...history, { role: 'user', content: 'echo something' }];
      await model.complete(prompt);
      const result = await raw.callTool({ name: 'echo', arguments: { text: 'bench' } });
      await model.complete([...prompt, { role: 'user', content: `[tool] ${JSON.stringify(result.content)}` }]);
      await store.history.set(`bench:raw:${index}`, [...prompt.slice(1), { role: 'assistant', content: 'All done.' }]);
      const rawTime = now() - rawStarted;
      // The first turns warm up the JIT and connections.
      if (index >= 50) {
        engineTimes.push(engineTime);
        rawTimes.push(rawTime);
      }
    }

    const poolTimes: number[] = [];
    const sdkTimes: number[] = [];
    for (let index = 0; index < poolCalls; index += 1) {
      let started = now();
      await pool.callTool('echo', { text: 'bench' });
      poolTimes.push(now() - started);
      started = now();
      await raw.callTool({ name: 'echo', arguments: { text: 'bench' } });
      sdkTimes.push(now() - started);
    }

    // Each engine turn against the raw turn run right after it, so both saw the same machine state;
    // a difference of two percentiles would compare unrelated turns (and can come out negative).
    const overheads = engineTimes.map((time, index) => time - rawTimes[index]!);
    const callRatios = poolTimes.map((time, index) => time / sdkTimes[index]!);
    return {
      overhead_p50_ms: percentile(overheads, 50),
      overhead_p99_ms: percentile(overheads, 99),
      pool_call_ratio: percentile(callRatios, 50),
    };
  } finally {
    await raw.close();
    await pool.close();
    await close();
  }
}
