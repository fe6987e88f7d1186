import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm, type LlmRequest } from '../../fakes/fake-llm.js';
import { fixtureServerConfig } from '../../fixtures/index.js';
import { fakeLlmEnv, projectRoot, startBotProcess } from '../../helpers/bot-process.js';


function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm start` the way an operator pipes input into it. */
function runBot(input: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start', '--silent'], {
      cwd: projectRoot,
      // Empty platform tokens keep a developer's own .env from turning Discord or Slack on here.
      env: { ...process.env, DISCORD_TOKEN: '', SLACK_BOT_TOKEN: '', LOG_LEVEL: 'info', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const lastContent = (request: LlmRequest) => String(request.messages.at(-1)?.content ?? '');

/** For a test that runs the bot twice in a row: each start (tsx, MCP servers, store) can take over ten seconds on a loaded machine. */
const TWO_RUNS_TIMEOUT_MS = 90_000;

describe('console adapter, end to end through npm start', () => {
  let dir: string;
  let llm: FakeLlm;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'console-e2e-'));
    const fixture = fixtureServerConfig('fixture');
    await writeFile(path.join(dir, 'servers.json'), JSON.stringify({ mcpServers: { fixture: { command: fixture.command, args: fixture.args } } }));
    llm = await startFakeLlm((request) => {
      if (lastContent(request).startsWith('[tool] ')) return `2 + 3 = ${lastContent(request).split('\n')[1]}`;
      if (request.lastUserText.includes('2+3')) return { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } };
      if (request.lastUserText.includes('slowly')) return { toolCall: { tool: 'slow', arguments: { ms: 1500 } } };
      const ownMessages = request.messages.filter((message) => message.role === 'user' && !String(message.content).startsWith('[tool] '));
      return `You said: ${request.lastUserText} (history ${ownMessages.length})`;
    });
    env = {
      ...fakeLlmEnv(llm),
      MCP_CONFIG: path.join(dir, 'servers.json'),
      STORE_URL: `sqlite://${path.join(dir, 'bot.sqlite')}`,
    };
  });

  afterAll(async () => {
    await llm?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers each piped line in order on stdout, really runs the tool, and exits 0', async () => {
    const run = await runBot('What is 2+3? Use a tool.\n/tools\nhello\n/reset\nagain\n', { ...env, STORE_URL: 'memory://' });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('2 + 3 = 5');
    expect(run.stdout).toMatch(/fixture \(ready\)\n(.*\n)* {2}add — /);
    expect(run.stdout).toContain('You said: hello (history 2)');
    expect(run.stdout).toContain('History cleared.');
    expect(lines.at(-1)).toBe('You said: again (history 1)');
    // The fixture server's real answer reached the model.
    expect(llm.requests.items.some((request) => lastContent(request) === '[tool] Result of add:\n5')).toBe(true);
    // Progress and logs stay off stdout.
    expect(run.stdout).not.toContain('Using `add`');
    expect(run.stderr).toContain('Using `add` on `fixture`');
    // Piped, nothing is dimmed or redrawn, and logs stay JSON lines.
    expect(run.stdout + run.stderr).not.toContain('\x1b[');
    expect(run.stderr).toMatch(/^\{"level":30,.*"msg":"bot ready"\}$/m);
  });

  it('keeps the conversation in SQLite across runs', async () => {
    const first = await runBot('remember me\n', env);
    expect(first.code, first.stderr).toBe(0);
    const second = await runBot('still there?\n', env);
    expect(second.stdout.trim()).toBe('You said: still there? (history 2)');
  }, TWO_RUNS_TIMEOUT_MS);

  it('stops with one line naming the file, the server and the field for a bad servers file', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ mcpServers: { files: { command: 'mcp-server-filesystem', args: './data' } } }));
    const run = await runBot('hi\n', { ...env, MCP_CONFIG: bad });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toMatch(/^error: .*bad\.json: server "files": field "args": .*expected array/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });

  it('stops with one clear line when LLM_MODEL is missing', async () => {
    const run = await runBot('hi\n', { ...env, LLM_MODEL: '' });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe('error: environment variable LLM_MODEL is required (the model name, e.g. gpt-4o-mini); see .env.example');
  });

  it('still answers when a configured server cannot start', async () => {
    const fixture = fixtureServerConfig('fixture');
    const mixed = path.join(dir, 'mixed.json');
    await writeFile(mixed, JSON.stringify({ mcpServers: { broken: { command: 'no-such-mcp-command-anywhere' }, fixture: { command: fixture.command, args: fixture.args } } }));
    const run = await runBot('What is 2+3?\n', { ...env, MCP_CONFIG: mixed, STORE_URL: 'memory://' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('2 + 3 = 5');
    expect(run.stderr).toContain('broken');
  });

  /** The entry with the fixture server on a throwaway store; `serverPid` is the fixture's, once it is ready. */
  function startEntry(extraEnv: Record<string, string> = {}) {
    const bot = startBotProcess({ ...env, STORE_URL: 'memory://', ...extraEnv });
    const serverPid = () => bot.logs().find((entry) => entry.msg === 'server ready')?.pid;
    const seen = (predicate: () => boolean) => bot.until(() => (predicate() ? true : undefined));
    return { ...bot, seen, serverPid };
  }

  it('shuts down cleanly on SIGTERM while waiting for input, leaving no MCP server behind', async () => {
    const bot = startEntry();
    await bot.seen(() => bot.output.stderr.includes('"bot ready"') && bot.serverPid() !== undefined);
    const serverPid = bot.serverPid()!;
    expect(isAlive(serverPid)).toBe(true);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(isAlive(serverPid)).toBe(false);
    expect(bot.output.stderr).toContain('"MCP servers closed"');
  });

  it('finishes the answer in progress on SIGTERM before exiting', async () => {
    const bot = startEntry();
    bot.child.stdin.write('please work slowly\n');
    await bot.seen(() => bot.output.stderr.includes('Using `slow` on `fixture`'));
    const serverPid = bot.serverPid()!;
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(bot.output.stdout).toContain('done after 1500 ms');
    expect(isAlive(serverPid)).toBe(false);
  });

  it('keeps secrets out of the logs even at trace level', async () => {
    const secrets = { LLM_API_KEY: 'sk-never-log-this-key', SERVER_SECRET: 'server-env-secret-value', REMOTE_TOKEN: 'remote-bearer-secret' };
    const fixture = fixtureServerConfig('fixture');
    const file = path.join(dir, 'secret-servers.json');
    await writeFile(
      file,
      JSON.stringify({
        mcpServers: {
          fixture: { command: fixture.command, args: fixture.args, env: { API_TOKEN: '${SERVER_SECRET}' } },
          remote: { url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer ${REMOTE_TOKEN}' } },
        },
      }),
    );
    const run = await runBot('What is 2+3?\n', { ...env, ...secrets, MCP_CONFIG: file, STORE_URL: 'memory://', LOG_LEVEL: 'trace' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('2 + 3 = 5');
    expect(run.stderr.split('\n').length).toBeGreaterThan(10);
    for (const secret of Object.values(secrets)) {
      expect(run.stderr).not.toContain(secret);
      expect(run.stdout).not.toContain(secret);
    }
  });
});
