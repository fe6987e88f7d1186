import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TurnEvent } from '../../../src/engine/index.js';
import { ConsoleReply } from '../../../src/platforms/console/console-reply.js';
import { ConsoleScreen } from '../../../src/platforms/console/console-screen.js';
import { visibleLines } from './terminal-screen.js';

const DIM = '\x1b[2m';

/** A console screen over two in-memory streams, with what each received so far. */
function screenOver(terminal: boolean) {
  const answers = new PassThrough();
  const status = new PassThrough();
  // `both` is the terminal window the two share, in the order things were written.
  const received = { answers: '', status: '', both: '' };
  answers.on('data', (chunk: Buffer) => ((received.answers += chunk.toString()), (received.both += chunk.toString())));
  status.on('data', (chunk: Buffer) => ((received.status += chunk.toString()), (received.both += chunk.toString())));
  return { screen: new ConsoleScreen(answers, status, terminal), received };
}

async function play(reply: ConsoleReply, events: TurnEvent[]): Promise<void> {
  for (const event of events) await reply.emit(event);
}

const step = { step: 1, server: 'fixture', tool: 'add' };
const answer = (text: string): TurnEvent => ({ type: 'answer', text, images: [] });

describe('console reply', () => {
  it('in a terminal, writes each piece of the answer as it arrives, then ends the line', async () => {
    const { screen, received } = screenOver(true);
    const reply = new ConsoleReply(screen, () => {});
    await reply.emit({ type: 'text', delta: 'Two and ' });
    expect(received.answers).toBe('Two and ');
    await reply.emit({ type: 'text', delta: 'three are five.' });
    expect(received.answers).toBe('Two and three are five.');
    await reply.emit(answer('Two and three are five.'));
    expect(received.answers).toBe('Two and three are five.\n');
  });

  it('piped, writes no pieces and the final answer once, whole, on one line', async () => {
    const { screen, received } = screenOver(false);
    const reply = new ConsoleReply(screen, () => {});
    await play(reply, [{ type: 'text', delta: 'Two and ' }, { type: 'text', delta: 'three' }]);
    expect(received.answers).toBe('');
    await reply.emit(answer('Two and three are five.'));
    expect(received.answers).toBe('Two and three are five.\n');
  });

  it('prints the final text on a fresh line when it differs from what streamed', async () => {
    const { screen, received } = screenOver(true);
    await play(new ConsoleReply(screen, () => {}), [{ type: 'text', delta: 'Five.<|im_end' }, answer('Five.')]);
    expect(received.answers).toBe('Five.<|im_end\nFive.\n');
  });

  it('takes a streamed lead-in before a tool step as part of the answer shown', async () => {
    const { screen, received } = screenOver(true);
    const events: TurnEvent[] = [{ type: 'text', delta: 'Let me add them.' }, { type: 'tool-started', ...step }, { type: 'tool-finished', ok: true, ...step }, { type: 'text', delta: '2 + 3 = 5' }, answer('2 + 3 = 5')];
    await play(new ConsoleReply(screen, () => {}), events);
    expect(received.answers).toBe('Let me add them.2 + 3 = 5\n');
    expect(received.status).toBe(`\n${DIM}· add on fixture…\x1b[22m\n`);
  });

  it('writes only what is new when the answer goes on from a streamed lead-in (the step limit reached after it)', async () => {
    const { screen, received } = screenOver(true);
    const reply = new ConsoleReply(screen, () => {});
    await play(reply, [{ type: 'text', delta: 'Let me check.' }, { type: 'tool-started', ...step }, { type: 'tool-finished', ...step, ok: true }, answer('Let me check.\n\nI stopped after 8 tool calls.')]);
    expect(received.answers.match(/Let me check\./g)).toHaveLength(1);
    expect(received.answers).toContain('I stopped after 8 tool calls.');
  });

  it('keeps streamed text and puts the error on the line below it', async () => {
    const { screen, received } = screenOver(true);
    await play(new ConsoleReply(screen, () => {}), [{ type: 'text', delta: 'The files are' }, { type: 'error', message: 'The model stopped answering; try again.' }]);
    expect(received.answers).toBe('The files are\nThe model stopped answering; try again.\n');
  });

  it('dims tool steps in a terminal only, and shows a failed call there', async () => {
    const terminal = screenOver(true);
    await play(new ConsoleReply(terminal.screen, () => {}), [{ type: 'tool-started', ...step }, { type: 'tool-progress', detail: 'adding (1/2)', ...step }, { type: 'tool-finished', ok: false, ...step }]);
    expect(terminal.received.status.split('\n').filter(Boolean)).toEqual([`${DIM}· add on fixture…\x1b[22m`, `${DIM}· add on fixture… adding (1/2)\x1b[22m`, `${DIM}· add on fixture failed\x1b[22m`]);

    const piped = screenOver(false);
    await play(new ConsoleReply(piped.screen, () => {}), [{ type: 'tool-started', ...step }, { type: 'tool-finished', ok: false, ...step }]);
    expect(piped.received.status).toBe('Using `add` on `fixture`…\n');
  });

  it('writes a notice as a line on standard error', async () => {
    const { screen, received } = screenOver(true);
    await new ConsoleReply(screen, () => {}).emit({ type: 'notice', text: 'notes.bin is not a file I can read.' });
    expect(received).toMatchObject({ answers: '', status: 'notes.bin is not a file I can read.\n' });
  });
});

describe('console screen', () => {
  it('writes a log line above the prompt and redraws the prompt with what the person had typed', async () => {
    const input = new PassThrough();
    const { screen, received } = screenOver(true);
    const lines = createInterface({ input, output: screen.status, terminal: true });
    lines.setPrompt('> ');
    screen.usePrompt(lines);
    screen.showPrompt();
    const echoed = new Promise<void>((resolve) => screen.status.on('data', () => received.status.endsWith('hel') && resolve()));
    input.write('hel');
    await echoed;
    screen.printAside('[12:00:00] WARN: server "files" restarted\n');
    expect(visibleLines(received.status, 80)).toEqual(['[12:00:00] WARN: server "files" restarted', '> hel']);
    lines.close();
  });

  it('starts a log line on a fresh line while an answer is streaming', async () => {
    const { screen, received } = screenOver(true);
    await screen.answerText('Half an ans');
    screen.printAside('[12:00:00] WARN: slow\n');
    await screen.answerText('wer.');
    expect(visibleLines(received.both, 80)).toEqual(['Half an ans', '[12:00:00] WARN: slow', 'wer.']);
  });
});
