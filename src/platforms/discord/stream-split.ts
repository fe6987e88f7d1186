import { closerFor, FENCE } from '../shared/split-message.js';

const CLOSING_LINE = /^[ \t]*(```|~~~)[ \t]*(\n|$)/;
/** Room kept in every piece for the line that closes a code block cut across pieces ("\n```"). */
const CLOSER_ROOM = 4;

/** The code fence open after `text` (e.g. "```js"), given the one open before it; undefined when none is. */
function fenceAfter(text: string, open: string | undefined): string | undefined {
  let fence = open;
  for (const line of text.split('\n')) {
    const match = FENCE.exec(line);
    if (match) fence = fence ? undefined : `${match[1]}${match[2] ?? ''}`;
  }
  return fence;
}

/** Where to end a piece within `window`: a paragraph break in its second half, else a line break, else a space in its second half, else its end. */
function cutIn(window: string): number {
  const half = window.length / 2;
  const paragraph = window.lastIndexOf('\n\n');
  if (paragraph >= half) return paragraph;
  const line = window.lastIndexOf('\n');
  if (line > 0) return line;
  const space = window.lastIndexOf(' ');
  return space >= half ? space : window.length;
}

/**
 * Splits Markdown that is still being written into Discord messages of at most `limit` characters,
 * so that every piece but the last stays the same as more text arrives: a cut is decided from the
 * `limit` characters after the previous one alone, so a message once finished is never rewritten.
 * A code block cut across pieces is closed at the end of one and reopened with its language at the
 * start of the next; the last piece has its open code block closed too, so a half-written one
 * renders as code. Whitespace at a cut is dropped (one line break inside a code block).
 */
export function splitStreamed(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let rest = text.replace(/^\s+/, '');
  let reopen: string | undefined;
  for (;;) {
    const prefix = reopen ? `${reopen}\n` : '';
    const openAtEnd = fenceAfter(rest, reopen);
    const closing = openAtEnd ? `\n${closerFor(openAtEnd)}` : '';
    if (prefix.length + rest.length + closing.length <= limit) {
      if (rest.trim()) pieces.push(`${prefix}${rest.trimEnd()}${closing}`);
      return pieces;
    }
    // At least one character a piece, whatever the prefix: the loop always moves on.
    const cut = Math.max(1, cutIn(rest.slice(0, Math.max(1, limit - prefix.length - CLOSER_ROOM))));
    const head = rest.slice(0, cut);
    const open = fenceAfter(head, reopen);
    pieces.push(`${prefix}${head.trimEnd()}${open ? `\n${closerFor(open)}` : ''}`);
    rest = open ? rest.slice(cut).replace(/^[ \t]*\n?/, '') : rest.slice(cut).replace(/^\s+/, '');
    reopen = open;
    // A cut just before the block's own closing line: the next piece need not reopen it only to close it.
    const closer = reopen && CLOSING_LINE.exec(rest);
    if (closer) {
      rest = rest.slice(closer[0].length).replace(/^\s+/, '');
      reopen = undefined;
    }
  }
}
