/**
 * What a terminal shows after receiving `output`: the visible lines, right-trimmed, colours dropped.
 * Knows what the console writes: line ends and carriage returns, backspace, wrapping at `columns`,
 * and the control sequences readline uses to redraw its prompt (erase in line and below, cursor to a
 * column or across). `dim` sequences are kept as `<dim>`…`</dim>` marks when `marks` is set, so a test
 * can tell what was dimmed.
 */
export function visibleLines(output: string, columns: number, marks = false): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let column = 0;
  const line = () => (lines[row] ??= []);
  const put = (text: string) => {
    for (const character of text) {
      if (column >= columns) {
        row += 1;
        column = 0;
      }
      line()[column] = character;
      column += 1;
    }
  };
  for (let index = 0; index < output.length; index += 1) {
    const character = output[index]!;
    if (character === '\x1b') {
      // A control sequence: ESC, then `[`, its numbers and one letter.
      const sequence = /^\[([0-9;?]*)([A-Za-z])/.exec(output.slice(index + 1));
      if (!sequence) continue;
      index += sequence[0].length;
      const [, params = '', command] = sequence;
      const count = Number(params || '0');
      if (command === 'K') {
        if (count === 0) line().length = Math.min(line().length, column);
        else if (count === 1) line().fill(' ', 0, column);
        else lines[row] = [];
      } else if (command === 'J') {
        line().length = Math.min(line().length, column);
        lines.length = row + 1;
      } else if (command === 'G') column = Math.max(count, 1) - 1;
      else if (command === 'C') column += Math.max(count, 1);
      else if (command === 'D') column = Math.max(0, column - Math.max(count, 1));
      else if (command === 'A') row = Math.max(0, row - Math.max(count, 1));
      else if (command === 'B') row += Math.max(count, 1);
      else if (command === 'm' && marks && (params === '2' || params === '22')) put(params === '2' ? '<dim>' : '</dim>');
    } else if (character === '\r') column = 0;
    else if (character === '\n') {
      // As a terminal shows the console's output: line feeds arrive as CR LF (the terminal's ONLCR).
      row += 1;
      column = 0;
    }
    else if (character === '\b') column = Math.max(0, column - 1);
    else if (character >= ' ') put(character);
  }
  for (let index = 0; index <= row; index += 1) lines[index] ??= [];
  return lines.map((cells) => Array.from(cells, (cell) => cell ?? ' ').join('').trimEnd());
}
