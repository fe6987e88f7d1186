import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, toolResultText, type FakeLlm } from '../../fakes/fake-llm.js';
import { fixtureServerConfig } from '../../fixtures/index.js';
import { fakeLlmEnv } from '../../helpers/bot-process.js';
import { startInTerminal, TERMINAL_COLUMNS, type TerminalSession } from './terminal-session.js';

/** A bot start (the bundle, an MCP server, the store) can take several seconds on a loaded machine. */
const SESSION_TIMEOUT_MS = 60_000;
const PROMPT = '> ';
const lastLine = (lines: string[]) => lines.findLast((line) => line !== '') ?? '';
/** An answer the fake model writes in pieces, a quarter of a second apart. */
const SLOW_ANSWER = ['The first words, ', 'then some more, ', 'and more, ', 'and the end.'];

describe('console in a terminal, end to end through a pseudo-terminal', () => {
  let dir: string;
  let llm: FakeLlm;
  let env: Record<string, string>;
  let session: TerminalSession | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'console-terminal-'));
    const fixture = fixtureServerConfig('fixture');
    await writeFile(path.join(dir, 'servers.json'), JSON.stringify({ mcpServers: { fixture: { command: fixture.command, args: fixture.args } } }));
    llm = await startFakeLlm((request) => {
      const result = toolResultText(request);
      if (result !== undefined) return `2 + 3 = ${result.split('\n').at(-1)}`;
      if (request.lastUserText.includes('2+3')) return { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } };
      if (request.lastUserText.includes('slowly')) return { chunks: SLOW_ANSWER, intervalMs: 250 };
      return `You said: ${request.lastUserText}`;
    });
    env = { ...fakeLlmEnv(llm), MCP_CONFIG: path.join(dir, 'servers.json'), STORE_URL: 'memory://' };
  });

  afterEach(() => {
    session?.kill();
    session = undefined;
  });

  afterAll(async () => {
    await llm?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'shows no routine logs, cuts /tools to the width, dims tool steps and quits on Ctrl+D',
    async () => {
      // LOG_LEVEL empty, as in a .env copied from .env.example: the terminal's default applies.
      session = startInTerminal({ ...env, LOG_LEVEL: '' });
      const started = await session.until((lines) => lastLine(lines) === PROMPT.trim());
      expect(started.filter((line) => line !== '')).toEqual(['Type a message, /tools or /reset. Ctrl+D or Ctrl+C quits.', '>']);

      session.type('/tools\r');
      const listed = await session.until((lines) => lines.some((line) => line.startsWith('  pid')) && lastLine(lines) === '>');
      const pidLine = listed.find((line) => line.startsWith('  pid'))!;
      expect(pidLine).toHaveLength(TERMINAL_COLUMNS);
      expect(pidLine.endsWith('…')).toBe(true);
      // The next line is the next tool, not the rest of the description wrapped onto it.
      expect(listed[listed.indexOf(pidLine) + 1]).toMatch(/^ {2}\S+( |$)|^>/);

      session.type('What is 2+3?\r');
      const answered = await session.until((lines) => lines.includes('2 + 3 = 5') && lastLine(lines) === '>', undefined, true);
      expect(answered).toContain('<dim>· add on fixture…</dim>');
      expect(answered.indexOf('<dim>· add on fixture…</dim>')).toBeLessThan(answered.indexOf('2 + 3 = 5'));
      expect(answered.join('\n')).not.toContain('"level"');

      session.type('\x04');
      expect(await session.exited).toBe(0);
    },
    SESSION_TIMEOUT_MS,
  );

  it(
    'streams the answer as the model writes it',
    async () => {
      // A model known not to reason in its replies streams from the first one.
      session = startInTerminal({ ...env, LLM_REPLIES_START_IN_REASONING: 'no' });
      await session.until((lines) => lastLine(lines) === '>');
      session.type('Answer slowly, please.\r');
      const firstWords = await session.until((lines) => lines.some((line) => line.startsWith('The first words,')));
      // The model has not written the end yet, and the words already show.
      expect(firstWords.join('\n')).not.toContain('and the end.');
      const answered = await session.until((lines) => lines.includes(SLOW_ANSWER.join('')) && lastLine(lines) === '>');
      expect(answered.filter((line) => line.startsWith('The first words,'))).toEqual([SLOW_ANSWER.join('')]);
      session.type('\x04');
      expect(await session.exited).toBe(0);
    },
    SESSION_TIMEOUT_MS,
  );

  it(
    'writes a log line as one short line above the prompt, keeps the prompt whole, and says SIGINT on Ctrl+C',
    async () => {
      session = startInTerminal({ ...env, LOG_LEVEL: 'info' });
      // "bot ready" is logged just after the prompt is first shown: the case where a JSON line used to land after "> ".
      const ready = await session.until((lines) => lines.some((line) => line.includes('INFO: bot ready')) && lastLine(lines) === '>');
      const readyLine = ready.find((line) => line.includes('INFO: bot ready'))!;
      expect(readyLine).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: bot ready \{"platforms":\["console"\],"tools":\d+\}$/);
      expect(ready.indexOf(readyLine)).toBeLessThan(ready.lastIndexOf('>'));
      expect(ready.filter((line) => line.startsWith('{'))).toEqual([]);

      session.type('hello\r');
      const answered = await session.until((lines) => lines.includes('You said: hello') && lastLine(lines) === '>');
      expect(answered).toContain('> hello');

      session.type('\x03');
      const stopping = await session.until((lines) => lines.some((line) => line.includes('INFO: stopped')));
      // On a line of its own, not after the prompt the person left.
      expect(stopping.find((line) => line.includes('INFO: shutting down'))).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: shutting down \{"reason":"SIGINT"\}$/);
      expect(await session.exited).toBe(0);
    },
    SESSION_TIMEOUT_MS,
  );
});
