import { describe, expect, it } from 'vitest';
import { AnswerStream } from '../../src/engine/answer-stream.js';
import { readReply } from '../../src/engine/model-replies/index.js';
import { TOOL_CALL_MARKERS } from '../../src/engine/model-replies/markup-dialects.js';
import { CORPUS, CORPUS_TOOLS } from '../fixtures/model-replies/corpus.js';

const tools = new Map(Object.entries(CORPUS_TOOLS));

/** What a person saw of `reply` streamed in pieces of `size` characters. */
function stream(reply: string, size: number): { shown: string } {
  let shown = '';
  const answer = new AnswerStream(tools, false, (delta) => (shown += delta));
  for (let offset = 0; offset < reply.length; offset += size) answer.push(reply.slice(offset, offset + size));
  return { shown };
}

describe('streaming the corpus of model replies, in pieces of 1, 3, 7 characters and whole', () => {
  const cases = CORPUS.flatMap((entry) => [1, 3, 7, entry.reply.length].map((size) => [`${entry.family} (${size})`, entry, size] as const));

  it.each(cases)('%s', (_name, entry, size) => {
    const { shown } = stream(entry.reply, size);
    for (const marker of [...TOOL_CALL_MARKERS, '<think>', '</think>', '<|', '[THINK]']) expect(shown).not.toContain(marker);
    if ('text' in entry.expect) {
      // An answer streams as itself, except where a reasoning block's end came late: then the answer event corrects it.
      const revealedLate = /<\/think>/.test(entry.reply) && !/<think>/.test(entry.reply);
      if (!revealedLate) expect(entry.expect.text.startsWith(shown)).toBe(true);
    } else {
      // Of a reply that calls a tool, at most the prose before the call shows.
      expect(readReply(shown, tools).kind).toBe('text');
      expect(shown).not.toMatch(/"(?:tool|name|arguments|parameters)"\s*:/);
    }
  });

  it('streams most of a plain answer before it ends', () => {
    const answer = 'Paris is the capital of France, and it has been for a long time.';
    const { shown } = stream(answer, 5);
    expect(shown.length).toBeGreaterThan(answer.length - 10);
  });
});
