import { describe, expect, it } from 'vitest';
import { readReply } from '../../src/engine/model-replies/index.js';
import { CORPUS, CORPUS_TOOLS } from '../fixtures/model-replies/corpus.js';

const tools = new Map(Object.entries(CORPUS_TOOLS));

describe('readReply on the corpus of model replies', () => {
  it.each(CORPUS.map((entry) => [entry.family, entry] as const))('%s', (_family, entry) => {
    const read = readReply(entry.reply, tools);
    if ('calls' in entry.expect) {
      expect(read).toMatchObject({ kind: 'calls', calls: entry.expect.calls });
    } else if ('text' in entry.expect) {
      expect(read).toEqual({ kind: 'text', text: entry.expect.text });
    } else {
      expect(read.kind).toBe('calls');
      if (read.kind === 'calls') expect(read.calls.some((call) => 'invalid' in call)).toBe(true);
    }
  });
});
