import { createChatModel } from '../src/llm/index.js';
import { startFakeLlm, type LlmRequest } from '../test/fakes/fake-llm.js';
import { now, percentile } from './measure.js';
import { TEST_ENGINE_SETTINGS } from '../test/helpers/engine-harness.js';
import { BENCH_ASKER, logger, SilentReply, sqliteStore, startPool } from './setup.js';
import { ConversationEngine } from '../src/engine/index.js';

export interface ConcurrencyFigures {
  concurrency_ratio: number;
  ordering_ok: boolean;
}

const LLM_LATENCY_MS = 200;
const fedBack = (request: LlmRequest) => String(request.messages.at(-1)?.content ?? '').startsWith('[tool] ');

/**
 * Many threads at once against an HTTP model that takes 200 ms a reply, one tool step per turn:
 * the wall time against the ideal (two model replies plus one tool call), and order within a thread.
 */
export async function measureConcurrency(threads: number): Promise<ConcurrencyFigures> {
  const llm = await startFakeLlm((request) =>
    fedBack(request) ? { delayMs: LLM_LATENCY_MS, answer: `answer to ${request.lastUserText}` } : { delayMs: LLM_LATENCY_MS, answer: { toolCall: { tool: 'echo', arguments: { text: request.lastUserText } } } },
  );
  const pool = await startPool(['fixture']);
  const { store, close } = await sqliteStore();
  const engine = new ConversationEngine({
    llm: createChatModel({ baseUrl: llm.url, apiKey: 'bench', model: 'bench', timeoutMs: 30_000, maxRetries: 0 }, logger),
    tools: pool,
    history: store.history,
    // Test defaults: documented limits, but no per-person rate limit — the benchmark is one busy person.
    settings: TEST_ENGINE_SETTINGS,
    logger,
  });
  try {
    const toolTimes: number[] = [];
    for (let index = 0; index < 50; index += 1) {
      const started = now();
      await pool.callTool('echo', { text: 'warm' });
      toolTimes.push(now() - started);
    }
    const ideal = 2 * LLM_LATENCY_MS + percentile(toolTimes, 50);
    // The first HTTP request in a process loads fetch itself; that is start-up cost, not per turn.
    await Promise.all(Array.from({ length: 5 }, (_, index) => engine.handle({ threadKey: `bench:warm:${index}`, asker: BENCH_ASKER, text: 'warm up' }, new SilentReply())));

    const started = now();
    await Promise.all(Array.from({ length: threads }, (_, index) => engine.handle({ threadKey: `bench:many:${index}`, asker: BENCH_ASKER, text: `question ${index}` }, new SilentReply())));
    const wall = now() - started;

    llm.setScript((request) => ({ delayMs: Math.floor(Math.random() * 20), answer: `answer to ${request.lastUserText}` }));
    const answered: string[] = [];
    const sent = Array.from({ length: 20 }, (_, index) => `message ${index}`);
    await Promise.all(
      sent.map((text) => {
        const reply = new SilentReply();
        return engine.handle({ threadKey: 'bench:ordered', asker: BENCH_ASKER, text }, reply).then(() => answered.push(reply.answer?.text ?? ''));
      }),
    );
    return { concurrency_ratio: wall / ideal, ordering_ok: answered.join('|') === sent.map((text) => `answer to ${text}`).join('|') };
  } finally {
    await pool.close();
    await llm.close();
    await close();
  }
}
