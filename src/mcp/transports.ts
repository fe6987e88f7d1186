import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import {
  Client,
  InsufficientScopeError,
  ReadBuffer,
  SdkHttpError,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  UnauthorizedError,
  type ClientCapabilities,
  type OAuthClientProvider,
  type ProtocolEra,
  type Transport,
  type VersionNegotiationOptions,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { RemoteServerConfig, ServerConfig, StdioServerConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { resolveCommand } from './command-path.js';
import { HandshakeRepair, LenientHandshake } from './handshake.js';
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
  /** `modern`: protocol 2026-07-28, stateless; `legacy`: a 2025 (or older) revision, after `initialize`. */
  era: ProtocolEra;
  /** The protocol revision the connection speaks, e.g. `2026-07-28` or `2025-11-25`. */
  protocolVersion: string;
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

/**
 * How a connection finds its protocol revision. Streamable HTTP and stdio ask with `server/discover`
 * first (the SDK's automatic negotiation): a 2026-07-28 server is then spoken to statelessly, and
 * anything else falls back to the 2025 `initialize` handshake. The legacy SSE transport predates
 * 2026-07-28, so it goes straight to `initialize`. On stdio a silent server counts as a 2025 one once
 * the probe times out, so the probe gets half the start-up time-out and the handshake the rest.
 */
function versionNegotiation(kind: TransportKind, timeoutMs: number): VersionNegotiationOptions {
  if (kind === 'sse') return { mode: 'legacy' };
  return { mode: 'auto', probe: kind === 'stdio' ? { timeoutMs: Math.floor(timeoutMs / 2) } : {} };
}

function newClient(setup: ClientSetup, kind: TransportKind, timeoutMs: number): Client {
  const client = new Client(CLIENT_INFO, { capabilities: setup.capabilities, versionNegotiation: versionNegotiation(kind, timeoutMs) });
  setup.register(client);
  return client;
}

/** What a connected client settled on; `legacy` with the SDK's default revision if it could not say. */
function linkOf(client: Client, kind: TransportKind, pid: number | undefined, close: () => Promise<void>): ServerLink {
  return { client, transport: kind, era: client.getProtocolEra() ?? 'legacy', protocolVersion: client.getNegotiatedProtocolVersion() ?? 'unknown', pid, close };
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
 * Fits a stdio transport with the bot's reading of stdout and its lenient handshake, while leaving it
 * a plain StdioClientTransport to the SDK: only for that exact class does the SDK send its era probe
 * to a disposable sibling process instead of this server's one process (some servers exit on any
 * request before `initialize`). The StdoutFilter goes where the transport keeps its ReadBuffer (a
 * private field in SDK 1.x and 2.x, which offer no option for it), so a server's stray stdout output
 * is skipped instead of costing the message it is glued to; the `initialize` exchange is watched
 * through the instance's `send` and that filter. Returns false if the SDK no longer has that field:
 * stdout is then read by the SDK's own ReadBuffer, and the handshake is not repaired.
 */
function adaptStdio(transport: StdioClientTransport, filter: StdoutFilter, repair: HandshakeRepair): boolean {
  const fields = transport as unknown as { _readBuffer?: unknown };
  if (!(fields._readBuffer instanceof ReadBuffer)) return false;
  fields._readBuffer = {
    append: (chunk: Buffer) => filter.append(chunk),
    readMessage: () => {
      const message = filter.readMessage();
      return message && repair.received(message);
    },
    clear: () => filter.clear(),
  };
  const send = transport.send.bind(transport);
  transport.send = (message) => {
    repair.sent(message);
    return send(message);
  };
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
  const transport = new StdioClientTransport({
    command: resolveCommand(config.command, config.env, config.cwd),
    args: config.args,
    env: config.env,
    cwd: config.cwd,
    stderr: 'pipe',
  });
  if (!adaptStdio(transport, new StdoutFilter(onStdoutNoise), new HandshakeRepair(onHandshakeRepaired))) log.debug('this SDK version reads stdout itself; stray stdout output may cost messages');
  if (transport.stderr) logLines(transport.stderr as Readable, log, onStderrLine);
  // The SDK keeps this handler (chaining its own) and calls it when the child has exited and its pipes closed.
  const exited = new Promise<void>((resolve) => (transport.onclose = resolve));
  const client = newClient(setup, 'stdio', timeoutMs);
  // The SDK spawns the server only once the era probe is done; the pid, once known, stays known after the SDK forgets it.
  let pid: number | undefined;
  const spawned = () => (pid ??= transport.pid ?? undefined);
  const close = async () => {
    spawned();
    await client.close();
    await transport.close();
    // A grandchild (an `npx` launch) may hold the pipes open after the child is gone: it must not hold up shutdown.
    if (pid !== undefined) await Promise.race([exited, delay(EXIT_GRACE_MS, undefined, { ref: false })]);
  };
  // A server that does not answer in time is not asked to leave politely: it would get seconds of grace.
  const onAbort = () => {
    const running = spawned();
    if (running !== undefined) terminate(running);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const connecting = client.connect(transport, { signal, timeout: timeoutMs });
  try {
    await untilAborted(connecting, signal);
  } catch (error) {
    connecting.catch(() => undefined);
    await close();
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return linkOf(client, 'stdio', spawned(), close);
}

async function connectOver(remote: Transport, kind: TransportKind, { signal, timeoutMs, setup, onHandshakeRepaired }: ConnectOptions): Promise<ServerLink> {
  const client = newClient(setup, kind, timeoutMs);
  const connecting = client.connect(new LenientHandshake(remote, onHandshakeRepaired), { signal, timeout: timeoutMs });
  try {
    await untilAborted(connecting, signal);
  } catch (error) {
    connecting.catch(() => undefined);
    await client.close();
    throw error;
  }
  return linkOf(client, kind, undefined, () => client.close());
}

/** Whether the server's `auth` block lets its authorization server's metadata name another issuer (see the config schema). */
export function issuerMismatchAllowed(config: RemoteServerConfig): boolean {
  return config.auth?.type === 'oauth' && config.auth.allowIssuerMismatch === true;
}

/** A refusal for want of (enough) authorization: the OAuth flow's own errors, or an HTTP 401/403 after it. */
function isAuthorizationFailure(error: unknown): boolean {
  return error instanceof UnauthorizedError || error instanceof InsufficientScopeError || (error instanceof SdkHttpError && (error.status === 401 || error.status === 403));
}

async function connectRemote(config: RemoteServerConfig, log: Logger, options: ConnectOptions): Promise<ServerLink> {
  const url = new URL(config.url);
  // The SDK sends these headers on every request, the SSE stream's GET included.
  const requestInit: RequestInit = { headers: config.headers };
  const { authProvider } = options;
  const skipIssuerMetadataValidation = issuerMismatchAllowed(config);
  if (config.transport !== 'sse') {
    try {
      return await connectOver(new StreamableHTTPClientTransport(url, { requestInit, authProvider, skipIssuerMetadataValidation }), 'http', options);
    } catch (error) {
      // Authorization is not a transport problem: SSE would meet the same challenge.
      if (config.transport === 'http' || options.signal.aborted || isAuthorizationFailure(error)) throw error;
      log.info({ reason: (error as Error).message }, 'Streamable HTTP refused; trying SSE');
    }
  }
  return connectOver(new SSEClientTransport(url, { requestInit, authProvider, skipIssuerMetadataValidation }), 'sse', options);
}

/**
 * Connects a client to one configured server over the transport its config asks for. When it
 * rejects, nothing it started is left running.
 */
export function connectServer(config: ServerConfig, log: Logger, options: ConnectOptions): Promise<ServerLink> {
  return config.kind === 'stdio' ? connectStdio(config, log, options) : connectRemote(config, log, options);
}
