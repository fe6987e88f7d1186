import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { RemoteServerConfig, ServerConfig, StdioServerConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { resolveCommand } from './command-path.js';

const CLIENT_INFO = { name: 'mcp-chat-bot', version: '0.1.0' };

export interface Connected {
  client: Client;
  /** The child's process id for stdio servers. */
  pid: number | undefined;
  transport: 'stdio' | 'http' | 'sse';
}

function newClient(): Client {
  // Elicitation and sampling capabilities are declared here once the chat can answer them.
  return new Client(CLIENT_INFO, { capabilities: {} });
}

async function connectStdio(config: StdioServerConfig, log: Logger, timeoutMs: number): Promise<Connected> {
  const transport = new StdioClientTransport({
    command: resolveCommand(config.command, config.env, config.cwd),
    args: config.args,
    env: config.env,
    cwd: config.cwd,
    stderr: 'pipe',
  });
  // Drained line by line: a chatty server must never fill the pipe and stall.
  const stderr = transport.stderr;
  if (stderr) createInterface({ input: stderr as Readable }).on('line', (line) => log.debug({ stderr: line }, 'server stderr'));
  const client = newClient();
  // The SDK closes the transport (and so the child) when initialize fails or times out.
  await client.connect(transport, { timeout: timeoutMs });
  return { client, pid: transport.pid ?? undefined, transport: 'stdio' };
}

async function connectRemote(config: RemoteServerConfig, log: Logger, timeoutMs: number): Promise<Connected> {
  const url = new URL(config.url);
  const requestInit = { headers: config.headers };
  if (config.transport !== 'sse') {
    const client = newClient();
    try {
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit }), { timeout: timeoutMs });
      return { client, pid: undefined, transport: 'http' };
    } catch (error) {
      if (config.transport === 'http') throw error;
      log.info({ reason: (error as Error).message }, 'Streamable HTTP refused; trying SSE');
      await client.close().catch(() => undefined);
    }
  }
  const client = newClient();
  await client.connect(new SSEClientTransport(url, { requestInit }), { timeout: timeoutMs });
  return { client, pid: undefined, transport: 'sse' };
}

/** Connects a client to one configured server over the transport its config asks for. */
export function connectServer(config: ServerConfig, log: Logger, timeoutMs: number): Promise<Connected> {
  return config.kind === 'stdio' ? connectStdio(config, log, timeoutMs) : connectRemote(config, log, timeoutMs);
}
