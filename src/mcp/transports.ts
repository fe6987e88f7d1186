import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ReadBuffer } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { RemoteServerConfig, ServerConfig, StdioServerConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { resolveCommand } from './command-path.js';
import { LenientHandshake } from './handshake.js';
import { StdoutFilter } from './stdout-filter.js';

const CLIENT_INFO = { name: 'mcp-chat-bot', version: '0.1.0' };

/** How long to wait for a stopped child's pipes to close once the SDK has killed it if need be. */
const EXIT_GRACE_MS = 2_000;

/** What the bot offers a server beyond calling its tools, and the handlers behind it; set on each new client. */
export interface ClientSetup {
  capabilities: ClientCapabilities;
  register(client: Client): void;
}

export type TransportKind = 'stdio' | 'http' | 'sse';

/** A connected client and the means to let go of it. */
export interface ServerLink {
  client: Client;
  transport: TransportKind;
  /** The child's process id, for stdio servers. */
  pid: number | undefined;
  /** Resolves once the server is let go of: for stdio, once its process has exited. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Aborting gives up on the attempt and stops whatever it started. */
  signal: AbortSignal;
  timeoutMs: number;
  setup: ClientSetup;
  /** For remote servers with an `auth` block: the SDK asks it for tokens and runs OAuth with it. */
  authProvider?: OAuthClientProvider;
  /** A stdio server wrote something to stdout that is not a protocol message (readable, truncated); it was skipped. */
  onStdoutNoise: (text: string) => void;
  /** A line a stdio server wrote to stderr (also logged at debug level). */
  onStderrLine?: (line: string) => void;
  /** The server's answer to `initialize` had to be repaired before the SDK would take it. */
  onHandshakeRepaired: (problems: string[]) => void;
}

function newClient(setup: ClientSetup): Client {
  const client = new Client(CLIENT_INFO, { capabilities: setup.capabilities });
  setup.register(client);
  return client;
}

/** Rejects with the signal's reason as soon as it aborts, even if the SDK would keep waiting (an SSE stream that never opens). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/**
 * Puts a StdoutFilter where StdioClientTransport keeps its ReadBuffer (a private field in SDK 1.x,
 * which offers no option for it), so a server's stray stdout output is skipped instead of costing
 * the message it is glued to. Returns false, changing nothing, if the SDK no longer has that field.
 */
function filterStdout(transport: StdioClientTransport, filter: StdoutFilter): boolean {
  const fields = transport as unknown as { _readBuffer?: unknown };
  if (!(fields._readBuffer instanceof ReadBuffer)) return false;
  fields._readBuffer = filter;
  return true;
}

function terminate(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

function logLines(stream: Readable, log: Logger, onLine: ((line: string) => void) | undefined): void {
  // Read even when debug logs are off: a chatty server must never fill the pipe and stall.
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    log.debug({ stderr: line }, 'server stderr');
    onLine?.(line);
  });
}

async function connectStdio(config: StdioServerConfig, log: Logger, { signal, timeoutMs, setup, onStdoutNoise, onStderrLine, onHandshakeRepaired }: ConnectOptions): Promise<ServerLink> {
  const stdio = new StdioClientTransport({
    command: resolveCommand(config.command, config.env, config.cwd),
    args: config.args,
    env: config.env,
    cwd: config.cwd,
    stderr: 'pipe',
  });
  if (!filterStdout(stdio, new StdoutFilter(onStdoutNoise))) log.debug('this SDK version reads stdout itself; stray stdout output may cost messages');
  if (stdio.stderr) logLines(stdio.stderr as Readable, log, onStderrLine);
  const transport = new LenientHandshake(stdio, onHandshakeRepaired);
  // The SDK keeps this handler and calls it when the child's process has exited and its pipes closed.
  const exited = new Promise<void>((resolve) => (transport.onclose = resolve));
  const client = newClient(setup);
  const connecting = client.connect(transport, { signal, timeout: timeoutMs });
  // The SDK spawns synchronously inside connect(), so the pid is known here; it stays known after the SDK forgets it.
  const pid = stdio.pid ?? undefined;
  const close = async () => {
    await client.close();
    // A grandchild (an `npx` launch) may hold the pipes open after the child is gone: it must not hold up shutdown.
    if (pid !== undefined) await Promise.race([exited, delay(EXIT_GRACE_MS, undefined, { ref: false })]);
  };
  // A server that does not answer in time is not asked to leave politely: it would get seconds of grace.
  if (pid !== undefined) signal.addEventListener('abort', () => terminate(pid), { once: true });
  try {
    await untilAborted(connecting, signal);
  } catch (error) {
    connecting.catch(() => undefined);
    await close();
    throw error;
  }
  return { client, transport: 'stdio', pid, close };
}

async function connectOver(remote: Transport, kind: TransportKind, { signal, timeoutMs, setup, onHandshakeRepaired }: ConnectOptions): Promise<ServerLink> {
  const client = newClient(setup);
  const connecting = client.connect(new LenientHandshake(remote, onHandshakeRepaired), { signal, timeout: timeoutMs });
  try {
    await untilAborted(connecting, signal);
  } catch (error) {
    connecting.catch(() => undefined);
    await client.close();
    throw error;
  }
  return { client, transport: kind, pid: undefined, close: () => client.close() };
}

async function connectRemote(config: RemoteServerConfig, log: Logger, options: ConnectOptions): Promise<ServerLink> {
  const url = new URL(config.url);
  // The SDK sends these headers on every request, the SSE stream's GET included.
  const requestInit: RequestInit = { headers: config.headers };
  const { authProvider } = options;
  if (config.transport !== 'sse') {
    try {
      return await connectOver(new StreamableHTTPClientTransport(url, { requestInit, authProvider }), 'http', options);
    } catch (error) {
      // Authorization is not a transport problem: SSE would meet the same challenge.
      if (config.transport === 'http' || options.signal.aborted || error instanceof UnauthorizedError) throw error;
      log.info({ reason: (error as Error).message }, 'Streamable HTTP refused; trying SSE');
    }
  }
  return connectOver(new SSEClientTransport(url, { requestInit, authProvider }), 'sse', options);
}

/**
 * Connects a client to one configured server over the transport its config asks for. When it
 * rejects, nothing it started is left running.
 */
export function connectServer(config: ServerConfig, log: Logger, options: ConnectOptions): Promise<ServerLink> {
  return config.kind === 'stdio' ? connectStdio(config, log, options) : connectRemote(config, log, options);
}
