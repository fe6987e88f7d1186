import type { CreateMessageRequest, CreateMessageResult, ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';

/** A JSON Schema object as an MCP server describes a tool's arguments. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  [keyword: string]: unknown;
}

/** One tool as the bot offers it: `name` is unique across servers, `toolName` is what its server calls it. */
export interface CatalogTool {
  name: string;
  server: string;
  toolName: string;
  description: string;
  inputSchema: JsonSchema;
}

/** `needs-authorization`: an OAuth server waits for a person to follow its authorization link. */
export type ServerState = 'starting' | 'ready' | 'restarting' | 'failed' | 'needs-authorization';

/** A file a tool returned for the person: an image, or a binary resource (PDF, audio…) attached to the answer. */
export interface ToolImage {
  /** base64, as MCP sends it */
  data: string;
  mimeType: string;
  /** The file's name where the tool gave one (a resource's URI ends in it); the engine names the others. */
  filename?: string;
}

/**
 * What a tool call came to. Failures (tool errors, time-outs, a server restarting, protocol errors)
 * are outcomes with `ok: false` and a message the model can read, never exceptions.
 */
export interface ToolOutcome {
  ok: boolean;
  server: string;
  tool: string;
  /** Text content joined; images and resources described in words. */
  text: string;
  /** Images and binary resources, attached to the answer. */
  images: ToolImage[];
  /** The asker's own account on this per-person server has to be connected again: the link to send them, privately. */
  connect?: ConnectLink;
}

/** A link that connects a person's own account on a per-person server; for that person's eyes only. */
export interface ConnectLink {
  server: string;
  url: string;
}

/** One person's tools for one turn, with what is missing for them. */
export interface PersonalCatalog {
  /** The shared catalog given, followed by the tools of the per-person servers this person has connected; each name unique. */
  catalog: CatalogTool[];
  /** Per-person servers they may use but have not connected (or must connect again). */
  unconnected: string[];
  /** Per-person servers they connected that cannot be reached now, with why. */
  unavailable: { server: string; reason: string }[];
  /** Links to send them now: for servers whose tokens stopped working. */
  links: ConnectLink[];
}

/** What `/connect <server>` came to. */
export type ConnectResult = { kind: 'link'; link: ConnectLink } | { kind: 'connected' } | { kind: 'unknown'; servers: string[] } | { kind: 'failed'; reason: string };

/**
 * Servers each person connects with their own account (`"auth": {"type": "oauth", "perUser": true}`).
 * Every method takes the person (Asker.personId) and never uses anybody else's tokens. Access lists
 * are the caller's: it passes only servers the person may use.
 */
export interface PersonalAccounts {
  /** Names of the per-person servers, in file order. */
  servers(): string[];
  /** The person's catalog: `shared` plus the tools of `servers` they have connected (their connections opened here). Never rejects. */
  catalogFor(person: string, shared: CatalogTool[], servers: string[]): Promise<PersonalCatalog>;
  /**
   * Links for those of `servers` whose link this person has not been offered in the last day (across
   * processes sharing the store), counting this offer. Never rejects: a link that cannot be made is logged and left out.
   */
  offerLinks(person: string, servers: string[]): Promise<ConnectLink[]>;
  /** Whether the person has tokens for the server. */
  isConnected(person: string, server: string): Promise<boolean>;
  /** `/connect`: a fresh link, unless they are connected already. */
  connect(person: string, server: string): Promise<ConnectResult>;
  /** `/disconnect`: forgets their tokens and closes their connection; false when they had none. */
  disconnect(person: string, server: string): Promise<boolean>;
  /** Cancels a task a call on the person's own connection left running (tasks/cancel), e.g. one recorded before a restart. Never rejects. */
  cancelTask(person: string, server: string, taskId: string): Promise<TaskCancelOutcome>;
  /** Runs `toolName` on the person's own connection to `server`; never rejects. */
  callTool(person: string, server: string, toolName: string, args: Record<string, unknown>, context?: CallContext): Promise<ToolOutcome>;
}

/** How far a running call has come, as its server reports it (MCP progress notifications). */
export interface ToolProgress {
  progress: number;
  total?: number;
  message?: string;
}

/**
 * What a tool call run as an MCP task reports on its way (MCP spec 2025-11-25, basic/utilities/tasks).
 * Called synchronously from the pool's polling loop: listeners must not throw.
 */
export interface TaskEvents {
  /** The server created the task (its id): from now on it runs on its own, and can be cancelled. */
  created(taskId: string): void;
  /** Its status while it runs, when it changed (`working`, `input_required`), with the server's message if any. */
  status(status: string, message: string | undefined): void;
  /** The call outlived the tool time-out (after `elapsedMs`): the task keeps running, up to MCP_TASK_MAX_S. */
  overdue(elapsedMs: number): void;
}

/** What cancelling a task by id came to: done, not known to the server (it ended, or the server restarted), or failed. */
export type TaskCancelOutcome = { kind: 'cancelled' } | { kind: 'unknown' } | { kind: 'failed'; reason: string };

/**
 * The conversation behind one tool call, for what a server may want during it: to report progress, to
 * ask the person something (elicitation), or to borrow the bot's model (sampling, when allowed).
 */
export interface CallContext {
  /** Aborting cancels the call; a call running as a task is cancelled on its server (`tasks/cancel`). */
  signal?: AbortSignal;
  /** Told how a call that runs as a task goes. */
  task?: TaskEvents;
  onProgress?: (progress: ToolProgress) => void;
  elicit?: (request: ElicitRequest['params']) => Promise<ElicitResult>;
  sample?: (request: CreateMessageRequest['params']) => Promise<CreateMessageResult>;
}

/** One argument of a prompt; MCP prompt arguments are strings. */
export interface PromptArgument {
  name: string;
  description?: string;
  required: boolean;
}

/** One prompt a server offers (MCP server/prompts), as the `/prompt` commands show it. */
export interface ServerPrompt {
  server: string;
  name: string;
  title?: string;
  description?: string;
  arguments: PromptArgument[];
}

/** What the engine needs from the MCP pool. */
export interface ToolProvider {
  /** The in-memory catalog; never a round trip to a server. */
  tools(): CatalogTool[];
  serverStates(): Record<string, ServerState>;
  callTool(name: string, args: Record<string, unknown>, context?: CallContext): Promise<ToolOutcome>;
  /** Cancels a task by its server's name and task id, e.g. one a previous run of the bot left running. Never rejects. */
  cancelTask?(server: string, taskId: string): Promise<TaskCancelOutcome>;
}
