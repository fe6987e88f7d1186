/**
 * A code fence line and the language it names. Only a short language word is kept to reopen the
 * block in the next piece: a fence line followed by a long run of text (minified code, base64) must
 * not become a prefix too long for the piece it opens.
 */
export const FENCE = /^\s*(```|~~~)\s*([\w+#.-]{0,32})/;

/** The line that closes a block opened by `fence` (e.g. "```js" → "```"). */
export function closerFor(fence: string): string {
  return fence.startsWith('~~~') ? '~~~' : '```';
}

/** Cuts an over-long line at a space where one falls in the second half, else hard at `room`. */
function cutLine(line: string, room: number): [string, string] {
  const space = line.lastIndexOf(' ', room);
  const at = space > room / 2 ? space : room;
  return [line.slice(0, at), line.slice(at).trimStart()];
}

/**
 * Splits a Markdown answer into pieces of at most `limit` characters, on paragraph breaks where one
 * keeps a piece at least half full, else on line breaks. A code block cut across pieces is closed at
 * the end of one piece and reopened (same language) at the start of the next, so each renders alone.
 */
export function splitMessage(text: string, limit: number): string[] {
  const body = text.trim();
  if (body.length <= limit) return body ? [body] : [];

  const pieces: string[] = [];
  // Invariant: lines.join('\n') plus the closer of the fence open after the last line fits in `limit`.
  let lines: string[] = [];
  let fenceAfter: (string | undefined)[] = [];
  let open: string | undefined;

  const joinedLength = (count: number) => lines.slice(0, count).reduce((sum, line, index) => sum + line.length + (index ? 1 : 0), 0);
  const closingCost = (fence: string | undefined) => (fence ? closerFor(fence).length + 1 : 0);

  const emit = (count: number) => {
    const fence = fenceAfter[count - 1];
    const piece = lines.slice(0, count).join('\n').trimEnd();
    if (piece.trim() && piece !== fence) pieces.push(fence ? `${piece}\n${closerFor(fence)}` : piece);
    let restLines = lines.slice(count);
    let restFences = fenceAfter.slice(count);
    if (!fence) {
      const firstContent = restLines.findIndex((line) => line.trim() !== '');
      const drop = firstContent === -1 ? restLines.length : firstContent;
      restLines = restLines.slice(drop);
      restFences = restFences.slice(drop);
    }
    lines = fence ? [fence, ...restLines] : restLines;
    fenceAfter = fence ? [fence, ...restFences] : restFences;
  };

  const lastParagraphBreak = () => {
    for (let index = lines.length - 1; index > 0; index -= 1) {
      if (lines[index]?.trim() === '' && fenceAfter[index] === undefined) return index;
    }
    return -1;
  };

  for (const rawLine of body.split('\n')) {
    const fence = FENCE.exec(rawLine);
    const openAfter = fence ? (open ? undefined : `${fence[1]}${fence[2] ?? ''}`) : open;
    let line = rawLine;
    for (;;) {
      const separator = lines.length ? 1 : 0;
      if (joinedLength(lines.length) + separator + line.length + closingCost(openAfter) <= limit) break;
      const onlyReopenedFence = lines.length === 1 && open !== undefined && lines[0] === open;
      if (lines.length && !onlyReopenedFence) {
        const paragraph = lastParagraphBreak();
        emit(paragraph > 0 && joinedLength(paragraph) >= limit / 2 ? paragraph : lines.length);
        continue;
      }
      const room = limit - joinedLength(lines.length) - separator - closingCost(open);
      const [head, tail] = cutLine(line, Math.max(room, 1));
      lines.push(head);
      fenceAfter.push(open);
      emit(lines.length);
      line = tail;
    }
    lines.push(line);
    fenceAfter.push(openAfter);
    open = openAfter;
  }
  emit(lines.length);
  return pieces;
}
