import type { EngineHarness } from '../test/helpers/engine-harness.js';
import { median } from './measure.js';

/** About the 1,500 characters a model writes in a few seconds. */
export const STREAMED_ANSWER = Array.from({ length: 25 }, (_, index) => `Line ${index} of a streamed answer, long enough to batch.`).join(' ');

/**
 * The p50 over `turns` turns of the milliseconds from the fake model's first content chunk to the
 * first text a platform showed. `turn` asks the n-th question, waits for its answer, and returns when
 * the platform first got text (epoch ms), or undefined when it got none.
 * @throws Error naming `platform` when a turn streamed no text
 */
export async function medianFirstText(harness: EngineHarness, turns: number, platform: string, turn: (index: number) => Promise<number | undefined>): Promise<number> {
  const delays: number[] = [];
  for (let index = 0; index < turns; index += 1) {
    harness.llm.requests.clear();
    const shownAt = await turn(index);
    const firstChunkAt = harness.llm.requests.items[0]?.firstChunkAt;
    if (shownAt === undefined || firstChunkAt === undefined) throw new Error(`a turn streamed no text to ${platform}`);
    delays.push(shownAt - firstChunkAt);
  }
  return median(delays);
}
