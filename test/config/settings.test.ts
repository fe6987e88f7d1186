import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServersConfig, loadSettings } from '../../src/config/index.js';
import { configError } from '../helpers/config-error.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'config-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serversFile(content: unknown): Promise<string> {
  const file = path.join(dir, `servers-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('servers_config.json', () => {
  it('reads stdio and remote servers with interpolation, env merge and defaults', async () => {
    const file = await serversFile({
      mcpServers: {
        files: { command: 'mcp-server-filesystem', args: ['./data', '${DATA_DIR}'], env: { EXTRA: 'yes' }, cwd: 'sub', timeoutMs: 5000 },
        remote: { url: 'https://example.com/mcp', headers: { Authorization: 'Bearer ${REMOTE_TOKEN}' }, transport: 'sse', denyTools: ['drop'] },
        off: { command: 'x', disabled: true },
      },
    });
    const env = { PATH: '/usr/bin', DATA_DIR: '/srv/data', REMOTE_TOKEN: 'abc', LLM_API_KEY: 'sk-secret', DISCORD_TOKEN: 'dt' };
    const [files, remote, off] = await loadServersConfig(file, env);

    expect(files).toMatchObject({ kind: 'stdio', name: 'files', command: 'mcp-server-filesystem', args: ['./data', '/srv/data'], cwd: path.join(dir, 'sub'), timeoutMs: 5000, disabled: false });
    expect(files?.kind === 'stdio' && files.env).toMatchObject({ PATH: '/usr/bin', EXTRA: 'yes', DATA_DIR: '/srv/data' });
    // The bot's own secrets never reach a child process.
    expect(files?.kind === 'stdio' && files.env).not.toHaveProperty('LLM_API_KEY');
    expect(files?.kind === 'stdio' && files.env).not.toHaveProperty('DISCORD_TOKEN');
    expect(remote).toMatchObject({ kind: 'remote', url: 'https://example.com/mcp', headers: { Authorization: 'Bearer abc' }, transport: 'sse', denyTools: ['drop'] });
    expect(off).toMatchObject({ disabled: true, args: [] });
  });

  it('replaces ${MCP_CONFIG_DIR} with the servers file\'s own folder', async () => {
    const file = await serversFile({ mcpServers: { memory: { command: 'mcp-server-memory', env: { MEMORY_FILE_PATH: '${MCP_CONFIG_DIR}/data/memory.json' } } } });
    const [memory] = await loadServersConfig(file, {});
    expect(memory?.kind === 'stdio' && memory.env.MEMORY_FILE_PATH).toBe(path.join(path.dirname(file), 'data/memory.json'));
  });

  it('names the file when it is missing', async () => {
    expect(await configError(loadServersConfig(path.join(dir, 'nope.json'), {}))).toMatch(/nope\.json: file not found/);
  });

  it('names the file when it is not JSON', async () => {
    const file = await serversFile('{ "mcpServers": ');
    expect(await configError(loadServersConfig(file, {}))).toMatch(new RegExp(`${path.basename(file)}: not valid JSON`));
  });

  it('names the file, the server and the field for a wrong type', async () => {
    const file = await serversFile({ mcpServers: { files: { command: 'x', args: './data' } } });
    const message = await configError(loadServersConfig(file, {}));
    expect(message).toContain(file);
    expect(message).toContain('server "files"');
    expect(message).toContain('field "args"');
  });

  it('rejects an unknown field, naming it', async () => {
    const file = await serversFile({ mcpServers: { files: { command: 'x', argz: [] } } });
    expect(await configError(loadServersConfig(file, {}))).toMatch(/server "files": unknown field "argz"/);
  });

  it('rejects a server with neither command nor url', async () => {
    const file = await serversFile({ mcpServers: { empty: {} } });
    expect(await configError(loadServersConfig(file, {}))).toMatch(/server "empty": needs either "command" \(stdio\) or "url" \(remote\)/);
  });

  it('names the unknown field of a server that has neither command nor url (a typo), and refuses both at once', async () => {
    const typo = await serversFile({ mcpServers: { files: { comand: 'mcp-server-filesystem', args: ['./data'] } } });
    expect(await configError(loadServersConfig(typo, {}))).toMatch(/server "files": needs either "command" \(stdio\) or "url" \(remote\); unknown field "comand"$/);
    const both = await serversFile({ mcpServers: { mixed: { command: 'x', url: 'https://example.com/mcp' } } });
    expect(await configError(loadServersConfig(both, {}))).toMatch(/server "mixed": has both "command" and "url"/);
  });

  it('names a missing ${VAR} and where it is used', async () => {
    const file = await serversFile({ mcpServers: { remote: { url: 'https://x.test/mcp', headers: { Authorization: 'Bearer ${NOPE_TOKEN}' } } } });
    expect(await configError(loadServersConfig(file, {}))).toMatch(/server "remote": field "headers.Authorization": \$\{NOPE_TOKEN\} is not set/);
  });

  it('reads who may use a server and which of its tools ask first, naming a wrong field', async () => {
    const file = await serversFile({ mcpServers: { files: { command: 'x', allowUsers: ['U1'], allowRoles: ['R1'], allowChannels: ['C1', 'dm'], confirmTools: ['write_file'] }, open: { command: 'y' } } });
    const [files, open] = await loadServersConfig(file, {});
    expect(files).toMatchObject({ allowUsers: ['U1'], allowRoles: ['R1'], allowChannels: ['C1', 'dm'], confirmTools: ['write_file'] });
    expect(open).toMatchObject({ confirmTools: [] });
    expect(open).not.toHaveProperty('allowUsers');
    const wrong = await serversFile({ mcpServers: { files: { command: 'x', confirmTools: 'write_file' } } });
    const message = await configError(loadServersConfig(wrong, {}));
    expect(message).toContain(wrong);
    expect(message).toContain('server "files"');
    expect(message).toContain('confirmTools');
  });

  it('rejects a bad url and a bad transport', async () => {
    const badUrl = await serversFile({ mcpServers: { remote: { url: 'not a url' } } });
    expect(await configError(loadServersConfig(badUrl, {}))).toMatch(/server "remote": field "url"/);
    const badTransport = await serversFile({ mcpServers: { remote: { url: 'https://x.test', transport: 'ws' } } });
    expect(await configError(loadServersConfig(badTransport, {}))).toMatch(/server "remote": field "transport"/);
  });
});

describe('environment', () => {
  it('applies the documented defaults', async () => {
    const file = await serversFile({ mcpServers: {} });
    const settings = await loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: file });
    expect(settings.llm).toMatchObject({ baseUrl: 'https://api.openai.com/v1', model: 'm', apiKey: undefined });
    expect(settings.engine).toMatchObject({ toolMode: 'json', maxToolSteps: 8 });
    expect(settings.store).toEqual({ url: 'sqlite://./data/bot.sqlite', historyTtlMs: 30 * 24 * 60 * 60 * 1000 });
    expect(settings.discord).toBeUndefined();
    expect(settings.slack).toBeUndefined();
    expect(settings.port).toBe(3000);
    expect(settings.httpEnabled).toBe(true);
    expect(settings.access).toEqual({ users: [], roles: [], channels: [] });
    expect(settings.engine.confirmTimeoutMs).toBe(300_000);
  });

  it('takes an empty variable (NAME= in .env) as unset, so its default applies', async () => {
    const file = await serversFile({ mcpServers: {} });
    const blank = { LLM_BASE_URL: '', LLM_TOOL_MODE: ' ', RATE_LIMIT_PER_MIN: '', PORT: '', TOOLS_MAX_PER_TURN: '', LOG_LEVEL: '' };
    const settings = await loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: file, ...blank });
    expect(settings.llm.baseUrl).toBe('https://api.openai.com/v1');
    expect(settings.engine).toMatchObject({ toolMode: 'json', rateLimitPerMinute: 20, toolsMaxPerTurn: 24 });
    expect(settings.port).toBe(3000);
    expect(settings.logLevel).toBe('info');
  });

  it('reads the allow lists as comma lists of ids, blanks dropped', async () => {
    const file = await serversFile({ mcpServers: {} });
    const settings = await loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: file, ALLOWED_USERS: ' U1, U2 ,', ALLOWED_ROLES: 'R1', ALLOWED_CHANNELS: 'C1,dm', CONFIRM_TIMEOUT_S: '60' });
    expect(settings.access).toEqual({ users: ['U1', 'U2'], roles: ['R1'], channels: ['C1', 'dm'] });
    expect(settings.engine.confirmTimeoutMs).toBe(60_000);
  });

  it('turns the health and metrics endpoints off with HTTP_ENABLED=false', async () => {
    const file = await serversFile({ mcpServers: {} });
    expect((await loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: file, HTTP_ENABLED: 'false' })).httpEnabled).toBe(false);
    expect(await configError(loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: file, HTTP_ENABLED: 'maybe' }))).toMatch(/HTTP_ENABLED/);
  });

  it('requires LLM_MODEL with one clear line', async () => {
    expect(await configError(loadSettings({}))).toMatch(/LLM_MODEL is required/);
  });

  it('names a variable with a bad value', async () => {
    expect(await configError(loadSettings({ LLM_MODEL: 'm', LLM_TOOL_MODE: 'magic' }))).toMatch(/LLM_TOOL_MODE/);
    expect(await configError(loadSettings({ LLM_MODEL: 'm', MAX_TOOL_STEPS: 'lots' }))).toMatch(/MAX_TOOL_STEPS/);
  });

  it('reads the tool budget and the context window, empty as unset, known for OpenAI models', async () => {
    const file = await serversFile({ mcpServers: {} });
    const defaults = await loadSettings({ LLM_MODEL: 'llama3.1:8b', MCP_CONFIG: file, LLM_CONTEXT_TOKENS: '' });
    expect(defaults.engine).toMatchObject({ toolsMaxPerTurn: 24, toolsPromptMaxChars: 10_000, contextTokens: undefined });
    expect((await loadSettings({ LLM_MODEL: 'openai/gpt-4o-mini', MCP_CONFIG: file })).engine.contextTokens).toBe(128_000);
    const set = await loadSettings({ LLM_MODEL: 'gpt-4o', MCP_CONFIG: file, LLM_CONTEXT_TOKENS: '8192', TOOLS_MAX_PER_TURN: '12', TOOLS_PROMPT_MAX_CHARS: '6000' });
    expect(set.engine).toMatchObject({ toolsMaxPerTurn: 12, toolsPromptMaxChars: 6_000, contextTokens: 8_192 });
    expect(await configError(loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: file, LLM_CONTEXT_TOKENS: 'big' }))).toMatch(/LLM_CONTEXT_TOKENS/);
    expect(await configError(loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: file, TOOLS_MAX_PER_TURN: '200' }))).toMatch(/TOOLS_MAX_PER_TURN: .*128/);
  });

  it('enables platforms by their tokens and needs a Slack mode', async () => {
    const file = await serversFile({ mcpServers: {} });
    const settings = await loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: file, DISCORD_TOKEN: 't', SLACK_BOT_TOKEN: 'xoxb', SLACK_APP_TOKEN: 'xapp' });
    expect(settings.discord?.token).toBe('t');
    expect(settings.slack).toMatchObject({ botToken: 'xoxb', appToken: 'xapp' });
    expect(await configError(loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: file, SLACK_BOT_TOKEN: 'xoxb' }))).toMatch(/SLACK_APP_TOKEN/);
  });
});
