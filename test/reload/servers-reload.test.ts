import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServersConfig } from '../../src/config/index.js';
import { ServersReload, watchServersFile, type ReloadOutcome } from '../../src/reload/index.js';
import { toolResultText } from '../fakes/fake-llm.js';
import { startEngineHarness, testAsker, type EngineHarness } from '../helpers/engine-harness.js';
import { capturingLogger, type LogLine } from '../helpers/logger.js';
import { Recorder } from '../helpers/recorder.js';
import { TaskReply } from '../helpers/recording-reply.js';
import { runCleanups } from '../helpers/teardown.js';
import { isAlive } from '../mcp/pool-helpers.js';
import { runConsole } from '../platforms/console/run-console.js';
import { fixtureEntry, saveServersFile } from './servers-file.js';

const ERROR = 50;
const ADMIN = 'U-admin';

/** Asks for the slow tool, then answers with what it returned. */
const slowTurn = (ms: number) => (request: Parameters<typeof toolResultText>[0]) => {
  const result = toolResultText(request);
  return result === undefined ? { toolCall: { tool: 'slow', arguments: { ms } } } : `the tool said: ${result}`;
};

const toolNames = (harness: EngineHarness) => harness.pool.tools().map((tool) => tool.name);

describe('the servers file, watched while the bot runs', () => {
  let dir: string;
  let file: string;
  let harness: EngineHarness;
  let logs: Recorder<LogLine & { server?: string; reason?: string }>;
  const reloads = new Recorder<ReloadOutcome>();
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'servers-reload-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    file = path.join(dir, 'servers_config.json');
    await saveServersFile(file, { keep: fixtureEntry(['echo']), gone: fixtureEntry(['slow']), changing: fixtureEntry(['add']) });
    const captured = capturingLogger();
    logs = captured.logs;
    harness = await startEngineHarness({ servers: await loadServersConfig(file, process.env), script: slowTurn(3_000), logger: captured.logger });
    cleanups.push(() => harness.close());
    const reload = new ServersReload({ file, env: process.env, pool: harness.pool, access: harness.access, admins: [ADMIN], tokenEncryption: undefined, logger: captured.logger });
    const stopWatching = watchServersFile(file, () => void reload.reload('file change').then((outcome) => reloads.push(outcome)), captured.logger);
    cleanups.push(async () => stopWatching());
  });
  afterAll(async () => {
    await runCleanups(cleanups);
  });

  /** Saves the file and waits for the reload it causes. */
  const saved = async (content: Parameters<typeof saveServersFile>[1]) => {
    const before = reloads.items.length;
    await saveServersFile(file, content);
    await reloads.waitFor(() => reloads.items.length > before, { what: 'the reload after saving', timeoutMs: 30_000 });
    return reloads.items[before]!;
  };

  it('adds, removes and restarts servers while a turn runs a slow tool; the turn finishes and the tools are the new set afterwards', async () => {
    const gonePid = harness.pool.serverPids().gone;
    const changingPid = harness.pool.serverPids().changing;
    const reply = new TaskReply();
    const turn = harness.engine.handle({ threadKey: 'test:reload', asker: testAsker(), text: 'take your time' }, reply);
    await reply.seen.waitFor((event) => event.type === 'tool-started', { what: 'the slow tool to start' });

    const outcome = await saved({ keep: fixtureEntry(['echo']), changing: fixtureEntry(['add', 'image']), added: fixtureEntry(['fail']) });

    expect(outcome).toEqual({ ok: true, changes: { added: ['added'], removed: ['gone'], restarted: ['changing'] }, notReady: {} });
    await turn;
    expect(reply.errorMessage).toBeUndefined();
    expect(reply.answer?.text).toBe('the tool said: Result of slow:\ndone after 3000 ms');
    expect(toolNames(harness)).toEqual(['echo', 'add', 'image', 'fail']);
    expect((await harness.pool.callTool('image', {})).ok).toBe(true);
    expect((await harness.engine.listTools(testAsker())).map((server) => server.server)).toEqual(['keep', 'changing', 'added']);
    for (const server of ['gone', 'changing']) await logs.waitFor((line) => line.msg === 'replaced or removed server closed' && line.server === server, { what: `${server} closed`, timeoutMs: 20_000 });
    expect(isAlive(gonePid)).toBe(false);
    expect(isAlive(changingPid)).toBe(false);
    // The editor's write-then-rename was one change.
    expect(reloads.items).toHaveLength(1);
  });

  it('refuses a file that is not JSON with the start-up error, and the running servers stay', async () => {
    const pids = harness.pool.serverPids();
    const tools = toolNames(harness);
    const outcome = await saved('{ "mcpServers": { ');
    const startupError = await loadServersConfig(file, process.env).catch((error: Error) => error.message);
    expect(startupError).toMatch(/servers_config\.json: not valid JSON/);
    expect(outcome).toEqual({ ok: false, error: startupError });
    expect(logs.filter((line) => line.level === ERROR && line.msg === 'servers file refused; the running servers stay').map((line) => line.reason)).toEqual([startupError]);
    expect(toolNames(harness)).toEqual(tools);
    expect(harness.pool.serverPids()).toEqual(pids);
  });

  it('refuses a schema error naming the server and the field, and the running servers stay', async () => {
    const pids = harness.pool.serverPids();
    const outcome = await saved({ keep: fixtureEntry(['echo'], { timeoutMs: 'soon' }), other: fixtureEntry(['add']) });
    expect(outcome).toEqual({ ok: false, error: `${file}: server "keep": field "timeoutMs": Invalid input: expected number, received string` });
    expect(harness.pool.serverPids()).toEqual(pids);
  });

  it("takes the servers' allow lists and confirmTools from the new file", async () => {
    const outcome = await saved({ keep: fixtureEntry(['echo'], { confirmTools: ['echo'] }), changing: fixtureEntry(['add', 'image']), added: fixtureEntry(['fail'], { allowUsers: [ADMIN] }) });
    expect(outcome).toMatchObject({ ok: true, changes: { added: [], removed: [], restarted: ['keep', 'added'] } });
    expect((await harness.engine.listTools(testAsker('u1'))).map((server) => server.server)).toEqual(['keep', 'changing']);
    expect((await harness.engine.listTools(testAsker(ADMIN))).map((server) => server.server)).toEqual(['keep', 'changing', 'added']);
    expect((await harness.engine.listTools(testAsker('u1')))[0]?.tools).toEqual([expect.objectContaining({ name: 'echo', asksFirst: true })]);
  });
});

describe('/reload in the console', () => {
  let dir: string;
  let file: string;
  let harness: EngineHarness;
  let reload: ServersReload;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'console-reload-'));
    file = path.join(dir, 'servers_config.json');
    await saveServersFile(file, { fixture: fixtureEntry(['echo']) });
    harness = await startEngineHarness({ servers: await loadServersConfig(file, process.env) });
    reload = new ServersReload({ file, env: process.env, pool: harness.pool, access: harness.access, admins: [], tokenEncryption: undefined, logger: harness.logger });
  });
  afterAll(async () => {
    await runCleanups([() => rm(dir, { recursive: true, force: true }), async () => await harness?.close()]);
  });

  it('reads the file again for the operator and says what changed, or that nothing did', async () => {
    await saveServersFile(file, { fixture: fixtureEntry(['echo', 'add']), notes: fixtureEntry(['image']) });
    const { answers } = await runConsole(harness.engine, harness.logger, '/reload\n/reload\n', { reload });
    expect(answers).toEqual(['Servers reloaded: added "notes"; restarted "fixture".', 'Servers reloaded: no change.']);
    expect(toolNames(harness)).toEqual(['echo', 'add', 'image']);
  });

  it('answers a broken file with the start-up error', async () => {
    await saveServersFile(file, { fixture: { comand: 'node' } });
    const { answers } = await runConsole(harness.engine, harness.logger, '/reload\n', { reload });
    expect(answers).toEqual([`The servers file was not loaded, so the running servers stay as they are: ${file}: server "fixture": needs either "command" (stdio) or "url" (remote); unknown field "comand"`]);
    expect(toolNames(harness)).toEqual(['echo', 'add', 'image']);
  });

  it('refuses a file that adds a per-person server while TOKEN_ENCRYPTION_KEY is not set, keeping the running set', async () => {
    await saveServersFile(file, { fixture: fixtureEntry(['echo', 'add']), notes: fixtureEntry(['image']), tracker: { url: 'https://tracker.example/mcp', auth: { type: 'oauth', perUser: true } } });
    const { answers } = await runConsole(harness.engine, harness.logger, '/reload\n', { reload });
    expect(answers).toEqual([
      `The servers file was not loaded, so the running servers stay as they are: ${file}: server "tracker" ("auth": {"perUser": true}) keeps people's OAuth tokens, which are stored only encrypted: set TOKEN_ENCRYPTION_KEY; make one with \`openssl rand -base64 32\` or \`node -e "console.log(crypto.randomBytes(32).toString('base64'))"\``,
    ]);
    expect(toolNames(harness)).toEqual(['echo', 'add', 'image']);
    expect(harness.pool.accounts.servers()).toEqual([]);
  });
});
