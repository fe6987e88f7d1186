import { collectGarbage } from './measure.js';
import { BENCH_ASKER, engineWith, scriptedModel, SilentReply, sqliteStore, startPool } from './setup.js';

const MESSAGES_PER_THREAD = 10;
const PARALLEL_THREADS = 50;

/** RSS growth (after GC) from `threads` threads × 10 messages through the engine with a SQLite store. */
export async function measureMemory(threads: number): Promise<{ rss_growth_mb: number; threads: number }> {
  const pool = await startPool([]);
  const { store, close } = await sqliteStore();
  const engine = engineWith(scriptedModel({ useTool: false }), pool, store);
  const send = (thread: number, message: number) => engine.handle({ threadKey: `bench:memory:${thread}`, asker: BENCH_ASKER, text: `message ${message} in thread ${thread}` }, new SilentReply());
  try {
    for (let thread = 0; thread < 100; thread += 1) await send(-thread - 1, 0);
    collectGarbage();
    const before = process.memoryUsage().rss;
    for (let start = 0; start < threads; start += PARALLEL_THREADS) {
      await Promise.all(
        Array.from({ length: Math.min(PARALLEL_THREADS, threads - start) }, async (_, offset) => {
          for (let message = 0; message < MESSAGES_PER_THREAD; message += 1) await send(start + offset, message);
        }),
      );
    }
    collectGarbage();
    return { rss_growth_mb: (process.memoryUsage().rss - before) / (1024 * 1024), threads };
  } finally {
    await pool.close();
    await close();
  }
}
