import type { Client, GetPromptResult, Prompt } from '@modelcontextprotocol/client';
import type { Logger } from '../logging/logger.js';
import type { ServerPrompt } from './types.js';

/** A server that pages its prompt list without end is cut off here. */
const MAX_PAGES = 50;

function toServerPrompt(server: string, prompt: Prompt): ServerPrompt {
  return {
    server,
    name: prompt.name,
    ...(prompt.title ? { title: prompt.title } : {}),
    ...(prompt.description ? { description: prompt.description } : {}),
    arguments: (prompt.arguments ?? []).map((argument) => ({
      name: argument.name,
      ...(argument.description ? { description: argument.description } : {}),
      required: argument.required === true,
    })),
  };
}

/**
 * One connection's prompts (MCP server/prompts): listed while the connection is made, if the server
 * declares the `prompts` capability, and listed again on `notifications/prompts/list_changed`. A
 * listing that fails is logged and leaves the list as it was (empty at first); prompts are an extra,
 * never a reason to drop a server.
 */
export class ServerPrompts {
  private list: ServerPrompt[] = [];
  private client: Client | undefined;
  /** Counts listings, so a slow older listing never overwrites a newer one. */
  private generation = 0;

  constructor(
    private readonly server: string,
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  get prompts(): ServerPrompt[] {
    return this.list;
  }

  /** The prompts of a connection being made; none when it offers none or the listing fails (logged). Never rejects. */
  async fetch(client: Client, signal?: AbortSignal): Promise<ServerPrompt[]> {
    if (!this.offered(client)) return [];
    try {
      return await this.listAll(client, signal);
    } catch (error) {
      this.log.warn({ reason: (error as Error).message }, 'could not list prompts');
      return [];
    }
  }

  /** Takes over a connection that is now live, with the prompts `fetch` found on it, and hears of changes. */
  attach(client: Client, prompts: ServerPrompt[]): void {
    this.client = client;
    this.list = prompts;
    this.generation += 1;
    if (this.offered(client)) client.setNotificationHandler('notifications/prompts/list_changed', () => this.refresh(client));
  }

  /** Whether the server declares prompts at all: the SDK refuses prompts/list otherwise. */
  offered(client: Client | undefined = this.client): boolean {
    return client?.getServerCapabilities()?.prompts !== undefined;
  }

  /**
   * prompts/get with the person's arguments (strings, as MCP prompt arguments are).
   * @throws the SDK's ProtocolError (the server refused: unknown prompt, a missing argument) or SdkError (time-out, connection gone)
   */
  async get(name: string, args: Record<string, string>): Promise<GetPromptResult> {
    const client = this.client;
    if (!client || !this.offered(client)) throw new Error(`server "${this.server}" offers no prompts`);
    return client.getPrompt({ name, arguments: args }, { timeout: this.timeoutMs });
  }

  private refresh(client: Client): void {
    const generation = ++this.generation;
    void this.listAll(client)
      .then((prompts) => {
        if (generation !== this.generation || this.client !== client) return;
        this.list = prompts;
        this.log.info({ prompts: prompts.length }, 'prompt list changed');
      })
      .catch((error: unknown) => {
        if (this.client === client) this.log.warn({ reason: (error as Error).message }, 'could not list prompts');
      });
  }

  private async listAll(client: Client, signal?: AbortSignal): Promise<ServerPrompt[]> {
    const prompts: ServerPrompt[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const result = await client.listPrompts(cursor ? { cursor } : undefined, { timeout: this.timeoutMs, signal });
      prompts.push(...result.prompts.map((prompt) => toServerPrompt(this.server, prompt)));
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    return prompts;
  }
}
