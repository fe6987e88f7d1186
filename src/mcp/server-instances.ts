import type { ServerConfig } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { ServerConnection, type ServerConnectionOptions, type ServerEventType, type ServerTool } from './server-connection.js';
import type { GetPromptResult } from '@modelcontextprotocol/client';
import type { CallContext, ServerPrompt, ServerState, TaskCancelOutcome, ToolOutcome } from './types.js';

/** A server is as available as its most available instance: ready while any one is. */
const STATE_PRIORITY: ServerState[] = ['ready', 'restarting', 'starting', 'needs-authorization', 'failed'];

/** One process of the server (or its one remote connection), and how many calls it runs now. */
interface Instance {
  connection: ServerConnection;
  inFlight: number;
}

/**
 * One configured server as the pool sees it: `instances` processes of a stdio server that keeps no
 * state between calls (a single connection for every other server). Its tools are listed once, each
 * call goes to the least busy ready instance, and each instance restarts on its own while the others
 * keep serving. What a server asks during a call (progress, forms, sampling) arrives on the instance
 * that runs the call, whose connection routes it to that call.
 */
export class ServerInstances {
  /** By instance number, from 0. */
  private readonly instances: Instance[];
  /** The instance whose tool list the catalog shows: the first one ready, or the last one whose tools changed. */
  private listedBy: ServerConnection | undefined;
  private readonly log: Logger;
  /** Called when the last call in flight on any instance ends (see retire). */
  private onIdle: (() => void) | undefined;

  /** `options.onEvent` hears every instance's events, with `instance` set when there are several. */
  constructor(
    readonly config: ServerConfig,
    options: ServerConnectionOptions,
  ) {
    const count = config.kind === 'stdio' ? (config.instances ?? 1) : 1;
    this.log = options.logger.child({ server: config.name });
    this.instances = Array.from({ length: count }, (_, index) => {
      // Instance numbers only where there are several, so a single server's logs and events read as they always did.
      const instance = count > 1 ? index : undefined;
      const connection: ServerConnection = new ServerConnection(config, {
        ...options,
        logger: instance === undefined ? options.logger : options.logger.child({ instance }),
        onEvent: (type, details) => {
          this.instanceEvent(connection, type);
          options.onEvent(type, instance === undefined ? details : { ...details, instance });
        },
      });
      return { connection, inFlight: 0 };
    });
  }

  get name(): string {
    return this.config.name;
  }

  get state(): ServerState {
    const states = new Set(this.instances.map(({ connection }) => connection.state));
    return STATE_PRIORITY.find((state) => states.has(state)) ?? 'failed';
  }

  get tools(): ServerTool[] {
    return this.listedBy?.tools ?? [];
  }

  /** The prompts of the instance whose tools are listed, while it is up. */
  get prompts(): ServerPrompt[] {
    return this.listedBy?.state === 'ready' ? this.listedBy.prompts.prompts : [];
  }

  /**
   * prompts/get on the ready instance with the fewest calls in flight.
   * @throws Error when no instance is ready; the SDK's errors as ServerPrompts.get throws them
   */
  getPrompt(name: string, args: Record<string, string>): Promise<GetPromptResult> {
    const instance = this.leastBusyReady();
    if (!instance) return Promise.reject(new Error(`server "${this.name}" is ${this.state === 'restarting' ? 'restarting, try again in a few seconds' : 'not connected'}`));
    return instance.connection.prompts.get(name, args);
  }

  /** Process ids of the running instances, by instance (undefined for one that is down, and for a remote server). */
  get pids(): (number | undefined)[] {
    return this.instances.map(({ connection }) => connection.pid);
  }

  /** Starts every instance; never rejects (see ServerConnection.start). */
  async start(): Promise<void> {
    await Promise.all(this.instances.map(({ connection }) => connection.start()));
  }

  /**
   * Runs the call on the ready instance with the fewest calls in flight (the lowest on a tie), chosen
   * before anything is awaited so that calls made together spread out. With none ready, an instance in
   * the server's own state answers, so the failure says why ("restarting", "not connected"…).
   */
  callTool(toolName: string, args: Record<string, unknown>, context: CallContext = {}): Promise<ToolOutcome> {
    const state = this.state;
    const instance = this.leastBusyReady() ?? this.instances.find(({ connection }) => connection.state === state) ?? this.instances[0]!;
    instance.inFlight += 1;
    return instance.connection.callTool(toolName, args, context).finally(() => {
      instance.inFlight -= 1;
      if (this.callsInFlight === 0) this.onIdle?.();
    });
  }

  /** Calls running now on all instances together. */
  get callsInFlight(): number {
    return this.instances.reduce((sum, instance) => sum + instance.inFlight, 0);
  }

  /**
   * Cancels a task by id on the first ready instance: the tasks a bot leaves behind live on remote
   * servers (one connection) or died with the processes of an earlier run.
   */
  cancelTask(taskId: string): Promise<TaskCancelOutcome> {
    return (this.leastBusyReady() ?? this.instances[0]!).connection.cancelTask(taskId);
  }

  /**
   * Closes the server once the calls already running on it have ended, or after `graceMs` at the latest
   * (a call still running then ends as a failed outcome saying the server was shut down). For a server
   * a reloaded servers file removed or changed: no new call reaches it, the ones it has may finish.
   */
  async retire(graceMs: number): Promise<void> {
    if (this.callsInFlight > 0) {
      this.log.info({ calls: this.callsInFlight, graceMs }, 'server closes when its calls in flight end');
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onIdle = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
      this.onIdle = undefined;
    }
    await this.close();
  }

  /** Stops every instance (their processes have exited when this resolves); restarts none. Idempotent. */
  async close(): Promise<void> {
    await Promise.all(this.instances.map(({ connection }) => connection.close()));
  }

  private leastBusyReady(): Instance | undefined {
    let best: Instance | undefined;
    for (const instance of this.instances) {
      if (instance.connection.state === 'ready' && (best === undefined || instance.inFlight < best.inFlight)) best = instance;
    }
    return best;
  }

  private instanceEvent(connection: ServerConnection, type: ServerEventType): void {
    // A changed list is the newest news from any instance. An instance that comes up takes over the
    // listing only when the one listed is not up (or is itself): a restarted process may offer other tools.
    const comesUp = type === 'ready' || type === 'restarted';
    if (type === 'tools-changed' || (comesUp && (this.listedBy === undefined || this.listedBy === connection || this.listedBy.state !== 'ready'))) this.listedBy = connection;
    if (this.instances.length > 1 && (comesUp || type === 'restarting' || type === 'failed')) {
      const ready = this.instances.filter((instance) => instance.connection.state === 'ready').length;
      this.log.info({ ready, instances: this.instances.length }, 'server instances ready');
    }
  }
}
