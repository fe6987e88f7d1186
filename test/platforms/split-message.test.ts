import { describe, expect, it } from 'vitest';
import { splitStreamed } from '../../src/platforms/discord/stream-split.js';
import { splitMessage } from '../../src/platforms/shared/split-message.js';

function fencesBalanced(piece: string): boolean {
  return (piece.match(/^\s*```/gm) ?? []).length % 2 === 0;
}

describe('splitMessage', () => {
  it('keeps a short answer whole', () => {
    expect(splitMessage('  hello\nworld  ', 2000)).toEqual(['hello\nworld']);
  });

  it('returns nothing for blank text', () => {
    expect(splitMessage('  \n ', 2000)).toEqual([]);
  });

  it('prefers paragraph breaks and never exceeds the limit', () => {
    const paragraph = 'word '.repeat(60).trim();
    const text = Array.from({ length: 12 }, () => paragraph).join('\n\n');
    const pieces = splitMessage(text, 1000);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(1000);
      expect(piece.startsWith('word') && piece.endsWith('word')).toBe(true);
    }
    expect(pieces.join('\n\n')).toBe(text);
  });

  it('closes and reopens a code block cut across pieces, keeping its language', () => {
    const code = Array.from({ length: 200 }, (_, index) => `const value${index} = ${index};`).join('\n');
    const text = `Here is the code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is all.`;
    const pieces = splitMessage(text, 2000);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(2000);
      expect(fencesBalanced(piece)).toBe(true);
    }
    expect(pieces.slice(1, -1).every((piece) => piece.startsWith('```ts\n'))).toBe(true);
    const rejoined = pieces.join('\n').replace(/\n```\n```ts\n/g, '\n');
    for (let index = 0; index < 200; index += 1) expect(rejoined).toContain(`const value${index} = ${index};\n`);
    expect(pieces.at(-1)).toContain('That is all.');
  });

  it('cuts a single over-long line at spaces', () => {
    const text = 'abcdefghi '.repeat(500).trim();
    const pieces = splitMessage(text, 2000);
    expect(pieces.every((piece) => piece.length <= 2000)).toBe(true);
    expect(pieces.join(' ')).toBe(text);
  });

  it('cuts an over-long line inside a code block without losing the fence', () => {
    const text = '```\n' + 'x'.repeat(4500) + '\n```';
    const pieces = splitMessage(text, 2000);
    expect(pieces.every((piece) => piece.length <= 2000 && fencesBalanced(piece))).toBe(true);
    expect(pieces.map((piece) => piece.replace(/```\n?/g, '').replace(/\n/g, '')).join('')).toBe('x'.repeat(4500));
  });
});

describe('a code fence followed by one long run of text (minified code, base64), both splitters', () => {
  const cases = [
    ['a fence and 5,000 characters without a space', `\`\`\`${'x'.repeat(5_000)}`],
    ['a fence, 1,992 characters, then words', `\`\`\`${'x'.repeat(1_992)} more words`],
    ['the run after a fence line', `\`\`\`js\n${'y'.repeat(6_000)}\n\`\`\`\nafter`],
  ] as const;

  it.each(cases)('%s: ends, and every piece fits', (_name, text) => {
    for (const split of [splitMessage, splitStreamed]) {
      const pieces = split(text, 2_000);
      expect(pieces.length).toBeGreaterThan(1);
      for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(2_000);
    }
  });
});
