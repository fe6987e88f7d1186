import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeLlm } from '../test/fakes/fake-llm.js';
import { fakeLlmEnv } from '../test/helpers/bot-process.js';
import { answerThroughNpmStart } from './e2e-turn.js';

/** A 1,500-character answer, as a model writes it: 30 pieces, 10 ms apart. */
const PIECES = Array.from({ length: 30 }, (_, index) => `Piece ${String(index).padStart(2, '0')} of a long answer, ${'x'.repeat(23)}. `);

/**
 * The cost of streaming over the whole process: N questions piped into `npm start` (console, SQLite,
 * no MCP server) with answers streamed (LLM_STREAM=true, the default) against the same questions with
 * whole answers (LLM_STREAM=false), against one fake model that takes as long to write an answer
 * either way. Rounds alternate the two, so drift on the machine falls on both.
 */
export async function measureStreamOverhead(questions: number, rounds: number): Promise<{ stream_overhead_ratio: number; streamed_ms_per_turn: number; whole_ms_per_turn: number }> {
  const llm = await startFakeLlm(() => ({ chunks: PIECES, intervalMs: 10 }));
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-stream-'));
  try {
    await writeFile(path.join(dir, 'servers.json'), JSON.stringify({ mcpServers: {} }));
    const totals = { streamed: 0, whole: 0 };
    for (let round = 0; round < rounds; round += 1) {
      for (const mode of round % 2 === 0 ? (['streamed', 'whole'] as const) : (['whole', 'streamed'] as const)) {
        const env = { ...fakeLlmEnv(llm), MCP_CONFIG: path.join(dir, 'servers.json'), STORE_URL: `sqlite://${path.join(dir, `${mode}-${round}.sqlite`)}`, LLM_STREAM: String(mode === 'streamed') };
        totals[mode] += await answerThroughNpmStart(questions, env);
      }
    }
    return { stream_overhead_ratio: totals.streamed / totals.whole, streamed_ms_per_turn: totals.streamed / (questions * rounds), whole_ms_per_turn: totals.whole / (questions * rounds) };
  } finally {
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  }
}
