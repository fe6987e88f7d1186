import type { GetPromptResult } from '@modelcontextprotocol/client';
import type { AccessPolicy, Asker } from '../access/index.js';
import type { Logger } from '../logging/logger.js';
import type { ServerPrompt } from '../mcp/types.js';
import { readElicitationAnswer, type ElicitationAnswer, type FormField } from './elicitation-form.js';
import { promptQuestion } from './prompt-question.js';
import type { IncomingFile } from './types.js';

/** What the library needs of the MCP pool. */
export interface PromptSource {
  /** Every prompt of the servers that are up; never a round trip. */
  prompts(): ServerPrompt[];
  getPrompt(server: string, name: string, args: Record<string, string>): Promise<GetPromptResult>;
}

/** A prompt could not be filled in; the message is for the person who asked. */
export class PromptError extends Error {}

/** How a prompt is named in commands and choices: `<server>/<prompt>`. */
export const promptId = (prompt: Pick<ServerPrompt, 'server' | 'name'>): string => `${prompt.server}/${prompt.name}`;

/** The prompt's arguments as a form's fields (all text: MCP prompt arguments are strings). */
export function promptFields(prompt: ServerPrompt): FormField[] {
  return prompt.arguments.map((argument) => ({ name: argument.name, title: argument.name, ...(argument.description ? { description: argument.description } : {}), kind: 'text', required: argument.required }));
}

/**
 * Servers' prompts for the `/prompt` commands: only those of servers the asker may use (the same
 * rules as for tools), filled in through prompts/get and turned into a question the engine runs as
 * a turn (see promptQuestion).
 */
export class PromptLibrary {
  constructor(
    private readonly source: PromptSource | undefined,
    private readonly access: AccessPolicy,
    private readonly log: Logger,
  ) {}

  /** The prompts this asker may use, by server then as each server lists them; none for someone the bot does not admit. */
  list(asker: Asker): ServerPrompt[] {
    if (!this.source || !this.access.admits(asker)) return [];
    return this.source.prompts().filter((prompt) => this.access.mayUseServer(prompt.server, asker));
  }

  /** A prompt by its id (`server/name`), or by its bare name when only one server has it. */
  find(asker: Asker, id: string): ServerPrompt | undefined {
    const prompts = this.list(asker);
    const exact = prompts.find((prompt) => promptId(prompt) === id);
    if (exact) return exact;
    const named = prompts.filter((prompt) => prompt.name === id);
    return named.length === 1 ? named[0] : undefined;
  }

  /**
   * A person's entries as the prompt's arguments: empty ones left out, a required one missing is an error.
   * Values come as a platform's form gives them (see ElicitationAnswer).
   */
  readArguments(prompt: ServerPrompt, values: Extract<ElicitationAnswer, { action: 'accept' }>['values']): { ok: true; args: Record<string, string> } | { ok: false; message: string } {
    const read = readElicitationAnswer(promptFields(prompt), { action: 'accept', values });
    if (!read.ok) return read;
    const content = read.value.action === 'accept' ? (read.value.content ?? {}) : {};
    return { ok: true, args: Object.fromEntries(Object.entries(content).map(([name, value]) => [name, String(value)])) };
  }

  /**
   * Fills the prompt in (prompts/get) and makes it a question: its text, and its images and resources as files.
   * @throws PromptError with a message for the person when the asker may not use it or the server cannot fill it in
   */
  async question(asker: Asker, prompt: ServerPrompt, args: Record<string, string>): Promise<{ text: string; files: IncomingFile[] }> {
    if (!this.source || !this.list(asker).some((entry) => promptId(entry) === promptId(prompt))) throw new PromptError(`There is no prompt "${promptId(prompt)}" you can use.`);
    const log = this.log.child({ server: prompt.server, prompt: prompt.name, user: asker.userId });
    try {
      const result = await this.source.getPrompt(prompt.server, prompt.name, args);
      log.info({ messages: result.messages.length }, 'prompt filled in');
      return promptQuestion(result);
    } catch (error) {
      log.warn({ reason: (error as Error).message }, 'prompt could not be filled in');
      throw new PromptError(`The prompt "${promptId(prompt)}" could not be filled in: ${(error as Error).message}`);
    }
  }
}
