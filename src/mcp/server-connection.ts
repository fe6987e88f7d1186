import {
  LOG_LEVEL_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SseError,
  type Client,
  type OAuthClientProvider,
  type Tool,
} from '@modelcontextprotocol/client';
import { z } from 'zod';
import type { ServerConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { ATTR, inSpan, markFailed, SpanKind, traceContextMeta } from '../observability/tracing.js';
import { authProviderFor, ServerAuthorization, StoredOAuthProvider, type OAuthHost } from './auth/index.js';
import { readCallResult } from './call-result.js';
import { readResourceLinks } from './resource-links.js';
import { ServerPrompts } from './server-prompts.js';
import { ServerRequests } from './server-requests.js';
import { connectServer, issuerMismatchAllowed, type ServerLink } from './transports.js';
import { callAsTask, runsTasks, type TaskCallEnd } from './task-call.js';
import { listAllTools, type ToolListProblem } from './tool-list.js';
import { failedOutcome, toToolOutcome } from './tool-outcome.js';
import type { CallContext, JsonSchema, ServerPrompt, ServerState, TaskCancelOutcome, ToolOutcome } from './types.js';

export interface ServerTool {
  toolName: string;
  description: string;
  inputSchema: JsonSchema;
  /** Run as an MCP task (`execution.taskSupport` optional or required, on a server that runs tasks); a plain call when absent. */
  asTask?: true;
}

export type ServerEventType = 'ready' | 'failed' | 'restarting' | 'restarted' | 'tools-changed' | 'needs-authorization';

export interface ServerEventDetails {
  /** Which restart this is, counting from 1 since the server was last ready. */
  attempt?: number;
  reason?: string;
  /** Which process of a server run as several `instances` (from 0); absent for a single one. */
  instance?: number;
}

export interface RestartPolicy {
  /** A server that died: the first wait before starting it again, doubling up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A server that never started: the first wait before trying again, doubling up to `maxStartRetryDelayMs`. */
  startRetryDelayMs: number;
  maxStartRetryDelayMs: number;
}

/** The wait before attempt `attempt` (from 1): the first delay, doubling, up to the cap. */
export function restartDelay(attempt: number, firstDelayMs: number, maxDelayMs: number): number {
  return Math.min(firstDelayMs * 2 ** (attempt - 1), maxDelayMs);
}

export interface ServerConnectionOptions {
  logger: Logger;
  startupTimeoutMs: number;
  defaultToolTimeoutMs: number;
  /** Characters of text a linked resource may bring into a tool result (MAX_TOOL_RESULT_CHARS). */
  maxResourceChars: number;
  /** How long a call run as a task may take before it is cancelled (MCP_TASK_MAX_S). */
  maxTaskMs: number;
  restart: RestartPolicy;
  oauth: OAuthHost;
  /** A provider made for this one connection (a person's own tokens on a per-person server), in place of the one the `auth` block gives. */
  authProvider?: OAuthClientProvider;
  onEvent: (type: ServerEventType, details?: ServerEventDetails) => void;
}

const seconds = (ms: number) => `${ms / 1000} s`;

/** How much of a failing server's stderr its start-up error quotes. */
const STDERR_TAIL_LINES = 3;
const STDERR_LINE_CHARS = 200;

/**
 * What tools/list and tools/call results are requested with: anything, read afterwards by
 * tool-list.ts and call-result.ts, because the SDK's own result schemas refuse a whole list or
 * result for one deviation (and Client.callTool fails a call whose structured content misses its outputSchema).
 */
const ANY_RESULT = z.unknown();

const TOOL_LIST_LOG: Record<ToolListProblem['action'], string> = { repaired: 'tool repaired', 'left out': 'tool left out', 'cut short': 'tool list cut short' };

/** `tasks`: whether this connection runs tools as tasks (see runsTasks); a tool that requires it is left out otherwise. */
function offered(config: ServerConfig, tool: Tool, tasks: boolean): boolean {
  if (tool.execution?.taskSupport === 'required' && !tasks) return false;
  if (config.allowTools && !config.allowTools.includes(tool.name)) return false;
  return !config.denyTools?.includes(tool.name);
}

function startFailure(error: unknown, config: ServerConfig): string {
  if (error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed) {
    return config.kind === 'stdio' ? 'the process exited during start-up' : 'the server closed the connection during start-up';
  }
  return (error as Error).message ?? String(error);
}

/** What every tool call's span on this server carries (MCP client span, which is also GenAI's execute_tool span). */
function callSpanAttributes(config: ServerConfig): Record<string, string | number> {
  const attributes: Record<string, string | number> = { [ATTR.mcpMethod]: 'tools/call', [ATTR.operationName]: 'execute_tool', [ATTR.mcpServer]: config.name };
  if (config.kind === 'stdio') return { ...attributes, [ATTR.networkTransport]: 'pipe' };
  const url = new URL(config.url);
  return { ...attributes, [ATTR.networkTransport]: 'tcp', [ATTR.serverAddress]: url.hostname, [ATTR.serverPort]: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
}

/** `error.type` of a call that threw: the JSON-RPC error code as MCP's conventions ask, else what kind of failure. */
function callErrorType(error: unknown, signal: AbortSignal | undefined): string {
  if (signal?.aborted) return 'cancelled';
  if (error instanceof ProtocolError || error instanceof SdkError) return String(error.code);
  return error instanceof Error ? error.name : 'unknown';
}

/**
 * Whether a failed request says the connection itself is gone (refused, reset, closed, an HTTP error
 * below MCP), so it has to be made again; not so for an error the server answered, a time-out, or a
 * call the SDK gave up on for its own reasons (too many input rounds, a result it cannot read).
 */
function connectionBroken(error: unknown): boolean {
  if (error instanceof ProtocolError) return false;
  if (!(error instanceof SdkError)) return true;
  return error.code === SdkErrorCode.ConnectionClosed || error.code === SdkErrorCode.NotConnected || error.code === SdkErrorCode.SendFailed || error.code.startsWith('CLIENT_HTTP');
}

/** One MCP server: connects, keeps its tools, calls them, and brings the server back after it dies. */
export class ServerConnection {
  state: ServerState = 'starting';
  tools: ServerTool[] = [];
  private link: ServerLink | undefined;
  private attempt: AbortController | undefined;
  private connecting: Promise<void> | undefined;
  private refresh: { link: ServerLink; again: boolean } | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartAttempt = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly authProvider: OAuthClientProvider | undefined;
  /** For servers a person authorizes (`"type": "oauth"`). */
  private readonly authorization: ServerAuthorization | undefined;
  private readonly requests: ServerRequests;
  /** Deviations already warned about, so a server that keeps deviating is named once, not on every listing, call or line. */
  private readonly warned = new Set<string>();
  private readonly spanAttributes: Record<string, string | number>;
  readonly prompts: ServerPrompts;

  constructor(
    readonly config: ServerConfig,
    private readonly options: ServerConnectionOptions,
  ) {
    this.log = options.logger.child({ server: config.name });
    this.authProvider = options.authProvider ?? (config.kind === 'remote' ? authProviderFor(config, options.oauth, this.log) : undefined);
    if (this.authProvider instanceof StoredOAuthProvider && config.kind === 'remote') this.authorization = new ServerAuthorization(this.authProvider, config.url, this.log, issuerMismatchAllowed(config));
    this.requests = new ServerRequests(config, this.log);
    this.spanAttributes = callSpanAttributes(config);
    this.prompts = new ServerPrompts(config.name, this.log, config.timeoutMs ?? options.defaultToolTimeoutMs);
  }

  get name(): string {
    return this.config.name;
  }

  /** The running child's process id, for stdio servers. */
  get pid(): number | undefined {
    return this.link?.pid;
  }

  /**
   * Never rejects: a server that cannot start is logged, marked failed, and the others go on; it is
   * tried again now and then (a remote one may only have been down while the bot started). One waiting
   * for a person's OAuth authorization resolves at once and connects later, when they have.
   */
  start(): Promise<void> {
    return this.attemptStart(1);
  }

  private async attemptStart(attempt: number): Promise<void> {
    try {
      await this.connectOnce(() => this.announceReady());
    } catch (error) {
      if (this.closed) return;
      const code = this.authorization?.codeAfter(error);
      if (code) return this.awaitAuthorization(code);
      this.retryStartLater(attempt, startFailure(error, this.config));
    }
  }

  private retryStartLater(attempt: number, reason: string): void {
    const { startRetryDelayMs, maxStartRetryDelayMs } = this.options.restart;
    const retryInMs = restartDelay(attempt, startRetryDelayMs, maxStartRetryDelayMs);
    this.state = 'failed';
    if (attempt === 1) {
      this.log.error({ reason, retryInMs }, 'server failed to start; skipped for now');
      this.options.onEvent('failed', { reason });
    } else {
      this.log.warn({ attempt, reason, retryInMs }, 'server still fails to start');
    }
    this.restartTimer = setTimeout(() => void this.attemptStart(attempt + 1), retryInMs);
  }

  private announceReady(): void {
    this.authorization?.connected();
    this.log.info({ transport: this.link?.transport, protocolVersion: this.link?.protocolVersion, pid: this.pid, tools: this.tools.length }, 'server ready');
    this.options.onEvent('ready');
  }

  private awaitAuthorization(code: Promise<string>): void {
    this.state = 'needs-authorization';
    this.log.warn('server needs authorization: follow the link logged above (or sent to an admin); the other servers work meanwhile');
    this.options.onEvent('needs-authorization');
    void this.authorization
      ?.complete(code)
      .then(() => this.connectOnce(() => this.announceReady()))
      .catch((error: unknown) => {
        if (this.closed) return;
        const next = this.authorization?.codeAfter(error);
        if (next) return this.awaitAuthorization(next);
        this.state = 'failed';
        this.log.error({ reason: (error as Error).message }, 'authorization failed; server skipped');
        this.options.onEvent('failed', { reason: (error as Error).message });
      });
  }

  /** Never rejects: every failure is an outcome naming the tool and the server. */
  callTool(toolName: string, args: Record<string, unknown>, context: CallContext = {}): Promise<ToolOutcome> {
    const attributes = { ...this.spanAttributes, [ATTR.toolName]: toolName };
    return inSpan(`tools/call ${toolName}`, { kind: SpanKind.CLIENT, attributes }, () =>
      this.requests.during(context, (progressToken) => this.runCall(toolName, args, context, progressToken)),
    );
  }

  private async runCall(toolName: string, args: Record<string, unknown>, context: CallContext, progressToken: string | undefined): Promise<ToolOutcome> {
    const { signal } = context;
    // Failures are outcomes, not throws, so the call's span (the active one) is marked here.
    const fail = (text: string, errorType = 'unavailable') => {
      markFailed(errorType, text);
      return failedOutcome(this.name, toolName, text);
    };
    if (this.closed) return fail(`server "${this.name}" is shut down, so "${toolName}" cannot run`);
    if (this.state === 'restarting') return fail(`server "${this.name}" is restarting, try again in a few seconds`);
    const link = this.link;
    if (!link) return fail(`server "${this.name}" is not connected, so "${toolName}" cannot run`);

    const timeoutMs = this.config.timeoutMs ?? this.options.defaultToolTimeoutMs;
    const log = this.log.child({ tool: toolName });
    const started = Date.now();
    try {
      // The trace goes on in the server when it reads `traceparent` from `_meta`. On 2026-07-28 a server
      // sends log lines only for a call that asks for them, at the level it names.
      const logLevel = link.era === 'modern' && link.client.getServerCapabilities()?.logging ? { [LOG_LEVEL_META_KEY]: 'info' } : {};
      const meta = { ...(progressToken ? { progressToken } : {}), ...traceContextMeta(), ...logLevel };
      const params = { name: toolName, arguments: args, ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}) };
      const asTask = this.tools.find((tool) => tool.toolName === toolName)?.asTask;
      const end: TaskCallEnd = asTask ? await this.runTask(link, params, context, timeoutMs, log) : { kind: 'result', result: await link.client.request({ method: 'tools/call', params }, ANY_RESULT, { timeout: timeoutMs, signal }) };
      if (end.kind === 'cancelled') return fail(`tool "${toolName}" on server "${this.name}" ran as a task and was cancelled: ${end.reason}`, 'cancelled');
      const raw = end.result;
      const problems: string[] = [];
      const reading = { maxChars: this.options.maxResourceChars, timeoutMs, signal, log };
      const outcome = toToolOutcome(this.name, toolName, await readResourceLinks(link.client, readCallResult(raw, problems), reading));
      if (problems.length > 0) this.warnOnce(`result:${toolName}`, { tool: toolName, problem: problems.join('; ') }, 'tool result repaired');
      if (!outcome.ok) markFailed('tool_error', outcome.text);
      log.debug({ ms: Date.now() - started, ok: outcome.ok }, 'tool call finished');
      return outcome;
    } catch (error) {
      // Step-up: the call needs more scopes than the token has, and a person is asked to grant them.
      const code = this.authorization?.codeAfter(error);
      if (code && (await this.authorization?.completedWithin(code, timeoutMs - (Date.now() - started)))) return this.runCall(toolName, args, context, progressToken);
      const text = code ? `server "${this.name}" needs new authorization for "${toolName}"; an operator has to follow the link in the bot's logs` : this.callFailure(error, link, toolName, timeoutMs, signal);
      log.warn({ ms: Date.now() - started, reason: text }, 'tool call failed');
      // Over HTTP a failure below MCP (refused, reset, session gone) means the connection has to be made again.
      if (this.config.kind === 'remote' && connectionBroken(error) && !signal?.aborted) this.connectionLost(link, text);
      return fail(text, callErrorType(error, signal));
    }
  }

  /**
   * A call run as an MCP task: the tool's raw result, or why the task was cancelled (the asker, the
   * task limit, the server). Past the tool time-out the task keeps running, up to `maxTaskMs`.
   */
  private async runTask(link: ServerLink, params: { name: string; arguments: Record<string, unknown>; _meta?: Record<string, unknown> }, context: CallContext, timeoutMs: number, log: Logger): Promise<TaskCallEnd> {
    let taskId: string | undefined;
    const events = {
      created: (id: string) => {
        taskId = id;
        log.info({ taskId }, 'tool runs as a task');
        context.task?.created(id);
      },
      status: (status: string, message: string | undefined) => context.task?.status(status, message),
      overdue: (elapsedMs: number) => {
        log.info({ taskId, ms: elapsedMs }, 'task outlived the tool time-out; still waiting for it');
        context.task?.overdue(elapsedMs);
      },
    };
    const end = await callAsTask(link.client, params, { requestTimeoutMs: timeoutMs, overdueAfterMs: timeoutMs, maxMs: this.options.maxTaskMs, signal: context.signal, events });
    if (end.kind === 'cancelled') log.info({ taskId, reason: end.reason }, 'task cancelled');
    return end;
  }

  /** Cancels a task of this server by id (`tasks/cancel`); never rejects. */
  async cancelTask(taskId: string): Promise<TaskCancelOutcome> {
    const link = this.link;
    if (!link) return { kind: 'failed', reason: `server "${this.name}" is not connected` };
    try {
      await link.client.request({ method: 'tasks/cancel', params: { taskId } } as never, ANY_RESULT, { timeout: this.config.timeoutMs ?? this.options.defaultToolTimeoutMs });
      this.log.info({ taskId }, 'task cancelled');
      return { kind: 'cancelled' };
    } catch (error) {
      // An unknown or already ended task is refused with "invalid params" (MCP spec 2025-11-25, basic/utilities/tasks).
      if (error instanceof ProtocolError && error.code === ProtocolErrorCode.InvalidParams) return { kind: 'unknown' };
      const reason = (error as Error).message ?? String(error);
      this.log.warn({ taskId, reason }, 'task could not be cancelled');
      return { kind: 'failed', reason };
    }
  }

  /** Closes the connection (a stdio server's process has exited when this resolves); no restart after. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.authorization?.stop();
    this.options.oauth.requests.abandon(this.name, new Error('the bot is shutting down'));
    this.attempt?.abort(new Error('the bot is shutting down'));
    await this.connecting?.catch(() => undefined);
    const link = this.link;
    this.link = undefined;
    await link?.close().catch((error: unknown) => this.log.warn({ reason: (error as Error).message }, 'server did not close cleanly'));
  }

  private warnOnce(key: string, fields: Record<string, unknown>, message: string): boolean {
    if (this.warned.has(key)) return false;
    this.warned.add(key);
    this.log.warn(fields, message);
    return true;
  }

  private callFailure(error: unknown, link: ServerLink, toolName: string, timeoutMs: number, signal: AbortSignal | undefined): string {
    const where = `tool "${toolName}" on server "${this.name}"`;
    if (signal?.aborted) return `${where} was cancelled`;
    if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) return `${where} timed out after ${seconds(timeoutMs)}`;
    if (this.closed) return `server "${this.name}" was shut down while running "${toolName}"`;
    if (this.link !== link) return `server "${this.name}" stopped while running "${toolName}"; it is being restarted`;
    return `${where} failed: ${(error as Error).message ?? String(error)}`;
  }

  /**
   * One attempt to connect and list the tools, bounded by the start-up time-out. `onReady` runs in the
   * same turn the server goes live, so no event can slip in between.
   */
  private connectOnce(onReady: () => void): Promise<void> {
    const attempt = new AbortController();
    const { startupTimeoutMs } = this.options;
    const timer = setTimeout(() => attempt.abort(new Error(`no answer within the start-up time-out of ${seconds(startupTimeoutMs)}`)), startupTimeoutMs);
    // What a stdio server wrote to stdout besides the protocol: quoted if it does not start, as the likely reason.
    let stdoutNoise: string | undefined;
    const onStdoutNoise = (text: string) => {
      stdoutNoise ??= text;
      if (!this.warnOnce('stdout', { stdout: text }, 'server wrote non-protocol output to stdout; ignoring it')) this.log.debug({ stdout: text }, 'server stdout');
    };
    // The last lines a stdio server wrote to stderr: usually why it did not start ("Cannot access directory …").
    const stderrTail: string[] = [];
    const onStderrLine = (line: string) => {
      stderrTail.push(line.length > STDERR_LINE_CHARS ? `${line.slice(0, STDERR_LINE_CHARS)}…` : line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    };
    const onHandshakeRepaired = (problems: string[]) => this.warnOnce('handshake', { problem: problems.join('; ') }, 'server handshake repaired');
    const run = async () => {
      this.log.debug('connecting');
      const link = await connectServer(this.config, this.log, {
        signal: attempt.signal,
        timeoutMs: startupTimeoutMs,
        setup: this.requests.clientSetup(),
        authProvider: this.authProvider,
        onStdoutNoise,
        onStderrLine,
        onHandshakeRepaired,
      });
      let tools: ServerTool[];
      let prompts: ServerPrompt[];
      try {
        tools = await this.listTools(link.client, attempt.signal);
        prompts = await this.prompts.fetch(link.client, attempt.signal);
        if (!link.client.transport) throw new Error('the server closed the connection right after start-up');
      } catch (error) {
        await link.close();
        throw error;
      }
      if (this.closed) {
        await link.close();
        return;
      }
      this.adopt(link, tools, prompts);
      onReady();
    };
    this.attempt = attempt;
    // What the server said on its own is the likeliest reason it did not start: quoted in the one log line.
    const explained = (error: unknown) => {
      const notes = [
        stdoutNoise === undefined ? undefined : `it wrote non-protocol output to stdout: ${JSON.stringify(stdoutNoise)}`,
        stderrTail.length === 0 ? undefined : `its last lines on stderr: ${JSON.stringify(stderrTail.join(' | '))}`,
      ].filter((note): note is string => note !== undefined);
      throw notes.length === 0 ? error : new Error([startFailure(error, this.config), ...notes].join('; '));
    };
    this.connecting = run().catch(explained).finally(() => {
      clearTimeout(timer);
      this.attempt = undefined;
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private adopt(link: ServerLink, tools: ServerTool[], prompts: ServerPrompt[]): void {
    this.link = link;
    this.tools = tools;
    this.state = 'ready';
    this.restartAttempt = 0;
    const { client } = link;
    client.setNotificationHandler('notifications/tools/list_changed', () => this.refreshTools(link));
    this.prompts.attach(client, prompts);
    this.requests.listen(client, link.era);
    this.listenForChanges(link);
    client.onclose = () => this.connectionLost(link, 'the connection closed');
    client.onerror = (error) => {
      // A broken SSE stream would be reopened by the SDK onto a fresh session nobody initialized.
      if (error instanceof SseError) void client.close();
    };
  }

  /**
   * On 2026-07-28 a server tells of a changed tool or prompt list only on a `subscriptions/listen`
   * stream the client opened (2025 revisions send it unasked); the notification then reaches the same handler.
   */
  private listenForChanges(link: ServerLink): void {
    const capabilities = link.client.getServerCapabilities();
    const filter = { ...(capabilities?.tools?.listChanged ? { toolsListChanged: true } : {}), ...(capabilities?.prompts?.listChanged ? { promptsListChanged: true } : {}) };
    if (link.era !== 'modern' || Object.keys(filter).length === 0) return;
    link.client.listen(filter).catch((error: unknown) => {
      if (this.link === link) this.log.warn({ reason: (error as Error).message }, 'could not subscribe to list changes');
    });
  }

  private async listTools(client: Client, signal?: AbortSignal): Promise<ServerTool[]> {
    const fetchPage = (cursor: string | undefined) => client.request({ method: 'tools/list', params: cursor ? { cursor } : undefined }, ANY_RESULT, { signal, timeout: this.options.startupTimeoutMs });
    const report = ({ tool, problem, action }: ToolListProblem) => this.warnOnce(`list:${tool}:${action}:${problem}`, { tool, problem }, TOOL_LIST_LOG[action]);
    let tools: Tool[];
    try {
      tools = await listAllTools(fetchPage, report);
    } catch (error) {
      // A server of resources or prompts only may have no tools/list at all: it is up, with no tools.
      if (!(error instanceof ProtocolError && error.code === ProtocolErrorCode.MethodNotFound)) throw error;
      this.log.info('server has no tools/list method; it offers no tools');
      tools = [];
    }
    const tasks = runsTasks(client);
    return tools
      .filter((tool) => offered(this.config, tool, tasks))
      .map((tool) => ({
        toolName: tool.name,
        description: tool.description ?? '',
        inputSchema: tool.inputSchema as JsonSchema,
        ...(tasks && (tool.execution?.taskSupport === 'optional' || tool.execution?.taskSupport === 'required') ? { asTask: true as const } : {}),
      }));
  }

  /** One listing at a time per connection: a burst of notifications must not let an older list overwrite a newer one. */
  private refreshTools(link: ServerLink): void {
    if (this.refresh?.link === link) {
      this.refresh.again = true;
      return;
    }
    const refresh = { link, again: true };
    this.refresh = refresh;
    void (async () => {
      while (refresh.again && this.link === link) {
        refresh.again = false;
        try {
          this.tools = await this.listTools(link.client);
          this.log.info({ tools: this.tools.length }, 'tool list changed');
          this.options.onEvent('tools-changed');
        } catch (error) {
          if (this.link === link) this.log.warn({ reason: (error as Error).message }, 'could not refresh the tool list');
        }
      }
      if (this.refresh === refresh) this.refresh = undefined;
    })();
  }

  private connectionLost(link: ServerLink, reason: string): void {
    if (this.closed || this.link !== link) return;
    this.link = undefined;
    this.state = 'restarting';
    // Reaps the exited child, or stops the SDK's own attempts to reopen a remote stream.
    void link.close().catch(() => undefined);
    this.log.warn({ reason }, 'server connection lost');
    this.options.onEvent('restarting', { reason });
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    this.restartAttempt += 1;
    const attempt = this.restartAttempt;
    const delayMs = restartDelay(attempt, this.options.restart.initialDelayMs, this.options.restart.maxDelayMs);
    this.log.info({ attempt, delayMs }, 'restarting server');
    this.restartTimer = setTimeout(() => void this.restart(attempt), delayMs);
  }

  private async restart(attempt: number): Promise<void> {
    try {
      await this.connectOnce(() => {
        this.log.info({ attempt, pid: this.pid, tools: this.tools.length }, 'server restarted');
        this.options.onEvent('restarted', { attempt });
      });
    } catch (error) {
      if (this.closed) return;
      this.log.warn({ attempt, reason: startFailure(error, this.config) }, 'restart failed');
      this.scheduleRestart();
    }
  }
}
