import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ServerConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { connectServer } from './transports.js';
import { failedOutcome, toToolOutcome } from './tool-outcome.js';
import type { JsonSchema, ServerState, ToolOutcome } from './types.js';

export interface ServerTool {
  toolName: string;
  description: string;
  inputSchema: JsonSchema;
}

export type ServerEventType = 'ready' | 'failed' | 'restarting' | 'restarted' | 'tools-changed';

export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface ServerConnectionOptions {
  logger: Logger;
  startupTimeoutMs: number;
  defaultToolTimeoutMs: number;
  restart: RestartPolicy;
  onEvent: (type: ServerEventType) => void;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function allowed(config: ServerConfig, tool: Tool): boolean {
  if (config.allowTools && !config.allowTools.includes(tool.name)) return false;
  return !config.denyTools?.includes(tool.name);
}

/** One MCP server: connects, keeps its tools, calls them, and comes back after it dies. */
export class ServerConnection {
  state: ServerState = 'starting';
  tools: ServerTool[] = [];
  pid: number | undefined;
  private client: Client | undefined;
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartAttempt = 0;
  private readonly log: Logger;

  constructor(
    readonly config: ServerConfig,
    private readonly options: ServerConnectionOptions,
  ) {
    this.log = options.logger.child({ server: config.name });
  }

  get name(): string {
    return this.config.name;
  }

  /** Never rejects: a server that cannot start is logged and marked failed, and the others go on. */
  async start(): Promise<void> {
    try {
      await this.connect();
      this.state = 'ready';
      this.options.onEvent('ready');
    } catch (error) {
      this.state = 'failed';
      this.log.error({ reason: (error as Error).message }, 'server failed to start; skipped');
      this.options.onEvent('failed');
    }
  }

  async callTool(toolName: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolOutcome> {
    const client = this.client;
    if (this.state === 'restarting') return failedOutcome(this.name, toolName, `server "${this.name}" is restarting, try again in a few seconds`);
    if (this.state !== 'ready' || !client) return failedOutcome(this.name, toolName, `server "${this.name}" is not available`);
    const timeoutMs = this.config.timeoutMs ?? this.options.defaultToolTimeoutMs;
    try {
      const result = (await client.callTool({ name: toolName, arguments: args }, undefined, { timeout: timeoutMs, signal })) as CallToolResult;
      return toToolOutcome(this.name, toolName, result);
    } catch (error) {
      return failedOutcome(this.name, toolName, this.describeCallError(error, toolName, timeoutMs));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    const client = this.client;
    this.client = undefined;
    await client?.close().catch((error: unknown) => this.log.warn({ err: error }, 'server did not close cleanly'));
  }

  private describeCallError(error: unknown, toolName: string, timeoutMs: number): string {
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return `tool "${toolName}" on server "${this.name}" timed out after ${timeoutMs / 1000} s`;
    if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) return `server "${this.name}" stopped while running "${toolName}"; it is being restarted`;
    return `tool "${toolName}" on server "${this.name}" failed: ${(error as Error).message ?? String(error)}`;
  }

  private async connect(): Promise<void> {
    const connecting = connectServer(this.config, this.log, this.options.startupTimeoutMs);
    const connected = await withDeadline(connecting, this.options.startupTimeoutMs, 'start-up').catch((error: unknown) => {
      // A connection that completes after the deadline must not leave a process behind.
      void connecting.then((late) => late.client.close(), () => undefined);
      throw error;
    });
    const { client } = connected;
    try {
      this.tools = await withDeadline(this.listTools(client), this.options.startupTimeoutMs, 'listing tools');
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void this.refreshTools(client));
    client.onclose = () => this.connectionLost(client);
    this.client = client;
    this.pid = connected.pid;
    this.log.info({ transport: connected.transport, tools: this.tools.length, pid: connected.pid }, 'server ready');
  }

  private async listTools(client: Client): Promise<ServerTool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined);
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return tools
      .filter((tool) => allowed(this.config, tool))
      .map((tool) => ({ toolName: tool.name, description: tool.description ?? '', inputSchema: tool.inputSchema as JsonSchema }));
  }

  private async refreshTools(client: Client): Promise<void> {
    try {
      this.tools = await this.listTools(client);
      this.log.info({ tools: this.tools.length }, 'tool list changed');
      this.options.onEvent('tools-changed');
    } catch (error) {
      this.log.warn({ err: error }, 'could not refresh the tool list');
    }
  }

  private connectionLost(client: Client): void {
    if (this.closing || this.client !== client) return;
    this.client = undefined;
    this.state = 'restarting';
    this.log.warn('server connection lost; restarting');
    this.options.onEvent('restarting');
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const { initialDelayMs, maxDelayMs } = this.options.restart;
    const delay = Math.min(initialDelayMs * 2 ** this.restartAttempt, maxDelayMs);
    this.restartAttempt += 1;
    const attempt = this.restartAttempt;
    this.restartTimer = setTimeout(() => {
      void this.connect().then(
        () => {
          if (this.closing) return void this.client?.close();
          this.state = 'ready';
          this.restartAttempt = 0;
          this.log.info({ attempt }, 'server restarted');
          this.options.onEvent('restarted');
        },
        (error: unknown) => {
          if (this.closing) return;
          this.log.warn({ attempt, reason: (error as Error).message, nextInMs: Math.min(initialDelayMs * 2 ** this.restartAttempt, maxDelayMs) }, 'restart failed');
          this.scheduleRestart();
        },
      );
    }, delay);
  }
}
