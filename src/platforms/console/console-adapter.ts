import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Asker } from '../../access/index.js';
import { connectResultText, disconnectText, NOT_YOUR_TASK_TEXT, PromptError, TASK_ENDED_TEXT, type ConversationEngine, type ElicitationAnswer } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { runReloadCommand, type ServersReload } from '../../reload/index.js';
import type { PlatformAdapter } from '../types.js';
import { CANCEL_LINE, ConsoleReply, type ConsoleQuestion } from './console-reply.js';
import { ConsoleScreen } from './console-screen.js';
import { formatPromptList, promptUsage } from './prompt-list.js';
import { formatToolList } from './tool-list.js';

export interface ConsoleAdapterOptions {
  engine: ConversationEngine;
  logger: Logger;
  /** Standard input by default; a terminal gets a prompt. */
  input?: Readable & { isTTY?: boolean };
  /** Where answers and everything else go: by default standard output and error, as whole lines. */
  screen?: ConsoleScreen;
  /** `/reload` reads the servers file again; without it the line says the bot cannot. */
  reload?: ServersReload;
}

/** Why the console stopped reading: its input ran out, or the person pressed Ctrl+C. */
export type ConsoleEnd = 'end of input' | 'SIGINT';

const THREAD_KEY = 'console:local';
const COMMAND_WORD = /^\/[a-z][a-z-]*$/;
const COMMANDS_HELP =
  'Commands: /tools [server] lists the tools, /prompt lists the servers\' prompts and /prompt <server>/<name> name=value; … asks one, /reset forgets the conversation, /reload reads the servers file again, /connect <server> and /disconnect <server> connect or forget your own account on a server that takes one, /help shows this. Anything else is a question.';

function noSuchServer(name: string, names: string[]): string {
  return `No server named "${name}".${names.length > 0 ? ` Servers: ${names.join(', ')}.` : ''}`;
}
const ASKER: Asker = { userId: 'console', personId: 'console:operator', roleIds: [], channelId: 'console', direct: true, operator: true };
const APPROVAL = /^y(es)?$/i;

/** `decline`, or `name=value; other=value` (an empty line takes every default). */
function formAnswer(line: string): ElicitationAnswer {
  if (/^decline$/i.test(line)) return { action: 'decline' };
  const pairs = line.split(';').map((pair) => pair.split('=')).filter(([name]) => name?.trim());
  return { action: 'accept', values: Object.fromEntries(pairs.map(([name = '', ...value]) => [name.trim(), value.join('=').trim()])) };
}

/**
 * The whole bot in a terminal: each line is a message in one thread. With piped input every line is
 * answered in order and `finished` resolves at the end of input, so a script can drive it. A line
 * read while a tool call waits for approval answers that question instead. How answers, steps and
 * logs look (streamed or whole lines) is the screen's business (see ConsoleScreen).
 */
export class ConsoleAdapter implements PlatformAdapter {
  readonly platform = 'console';
  private readonly input: Readable & { isTTY?: boolean };
  private readonly screen: ConsoleScreen;
  private stopping = false;
  private readLoop: Promise<ConsoleEnd> | undefined;
  private closeInput: (() => void) | undefined;
  private turn: Promise<void> = Promise.resolve();
  private question: ConsoleQuestion | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: ConsoleAdapterOptions) {
    this.input = options.input ?? process.stdin;
    this.screen = options.screen ?? new ConsoleScreen(process.stdout, process.stderr, false);
  }

  /**
   * Resolves when the input has ended and every line has been answered, with why it ended: the input
   * ran out, or the person pressed Ctrl+C (which a terminal in raw mode hands to readline, not as a signal).
   */
  get finished(): Promise<ConsoleEnd> {
    return this.readLoop ?? Promise.resolve('end of input');
  }

  connected(): boolean {
    return this.readLoop !== undefined && !this.stopping;
  }

  async start(): Promise<void> {
    const interactive = this.input.isTTY === true;
    // Before the interface exists, so no line can arrive while nothing reads them yet.
    if (interactive) await this.screen.statusLine('Type a message, /tools or /reset. Ctrl+D or Ctrl+C quits.');
    const lines = createInterface({ input: this.input, output: interactive ? this.screen.status : undefined, terminal: interactive });
    this.closeInput = () => lines.close();
    let end: ConsoleEnd = 'end of input';
    lines.once('SIGINT', () => {
      end = 'SIGINT';
      lines.close();
    });
    if (interactive) {
      lines.setPrompt('> ');
      this.screen.usePrompt(lines);
      this.screen.showPrompt();
    }
    this.readLoop = (async () => {
      for await (const line of lines) {
        if (this.stopping) break;
        await this.consume(line.trim());
        if (interactive) this.screen.showPrompt();
      }
      // Nobody is left to answer a question still open: it ends unanswered, so the turn can finish.
      if (this.question) this.options.engine.cancelQuestions();
      await this.turn;
      this.options.logger.debug({ reason: end }, 'console input ended');
      return end;
    })();
  }

  /** The console is one conversation, on this screen. */
  async postToThread(_threadKey: string, text: string): Promise<boolean> {
    await this.screen.statusLine(text);
    return true;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.closeInput?.();
    await this.readLoop;
  }

  /** One line: the answer to an open question, or a new message; returns when the next line is wanted. */
  private async consume(text: string): Promise<void> {
    const question = this.question;
    if (question?.kind === 'task') {
      await this.taskLine(question, text);
    } else if (question) {
      this.question = undefined;
      const result =
        question.kind === 'confirmation'
          ? await this.options.engine.decideConfirmation(question.id, ASKER.userId, APPROVAL.test(text))
          : await this.options.engine.answerElicitation(question.id, ASKER.userId, formAnswer(text));
      if (result.kind === 'invalid') {
        // The question stays open for the next line.
        this.question = question;
        await this.screen.statusLine(`${result.message} Try again, or type decline.`);
        return;
      }
    } else {
      if (text === '') return;
      this.turn = this.handleLine(text);
    }
    // The next line is read when the turn ends, or as soon as it asks a question.
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      void this.turn.then(() => {
        // A task can only be cancelled while its turn runs.
        if (this.question?.kind === 'task') this.question = undefined;
        resolve();
      });
    });
  }

  /** A line while a step runs as a task: `cancel` cancels it; anything else waits for the answer. */
  private async taskLine(question: Extract<ConsoleQuestion, { kind: 'task' }>, text: string): Promise<void> {
    if (text.toLowerCase() !== CANCEL_LINE) {
      await this.screen.statusLine(`A task is running. Type ${CANCEL_LINE} to stop it, or wait for the answer.`);
      return;
    }
    const result = await this.options.engine.cancelTask(question.id, ASKER.userId);
    if (result.kind === 'gone') await this.screen.statusLine(TASK_ENDED_TEXT);
    if (result.kind === 'not-yours') await this.screen.statusLine(NOT_YOUR_TASK_TEXT);
  }

  private readonly asked = (question: ConsoleQuestion): void => {
    this.question = question;
    this.wake?.();
  };

  private async handleLine(text: string): Promise<void> {
    const [command, ...rest] = text.split(/\s+/);
    if (command === '/tools') {
      const server = rest.join(' ') || undefined;
      const servers = await this.options.engine.listTools(ASKER, server);
      await this.screen.answerLine(server && servers.length === 0 ? noSuchServer(server, this.options.engine.serverNames(ASKER)) : formatToolList(servers, this.screen.columns));
      return;
    }
    if (command === '/prompt') return this.prompt(text.slice(command.length).trim());
    if (command === '/reset') {
      await this.options.engine.reset(THREAD_KEY);
      await this.screen.answerLine('History cleared.');
      return;
    }
    if (command === '/connect' || command === '/disconnect') return this.account(command, rest.join(' ').trim());
    if (command === '/reload') {
      await this.screen.answerLine(await runReloadCommand(this.options.reload, ASKER, 'console'));
      return;
    }
    // A lone `/word` is a command, not a question (a path such as /etc/hosts still goes to the model).
    if (command && COMMAND_WORD.test(command)) {
      await this.screen.answerLine(command === '/help' ? COMMANDS_HELP : `Unknown command ${command}. ${COMMANDS_HELP}`);
      return;
    }
    await this.options.engine.handle({ threadKey: THREAD_KEY, asker: ASKER, text }, new ConsoleReply(this.screen, this.asked));
  }

  /**
   * `/connect <server>` puts a link on standard error (links are for the person at the keyboard, and a
   * pipe gets answers only); `/disconnect <server>` forgets the account. Without a server, the servers that take one.
   */
  private async account(command: '/connect' | '/disconnect', server: string): Promise<void> {
    const { engine } = this.options;
    if (server === '') return this.screen.answerLine(connectResultText({ kind: 'unknown', servers: engine.personalServers(ASKER) }, server, 'plain'));
    if (command === '/disconnect') return this.screen.answerLine(disconnectText(await engine.disconnectAccount(ASKER, server), server, engine.personalServers(ASKER)));
    const result = await engine.connectAccount(ASKER, server);
    const text = connectResultText(result, server, 'plain');
    return result.kind === 'link' ? this.screen.statusLine(text) : this.screen.answerLine(text);
  }

  /** `/prompt` lists the prompts; `/prompt <server>/<name> name=value; …` fills one in and asks it in the conversation. */
  private async prompt(line: string): Promise<void> {
    const { prompts } = this.options.engine;
    if (line === '') return this.screen.answerLine(formatPromptList(prompts.list(ASKER)));
    const [id = ''] = line.split(/\s+/);
    const prompt = prompts.find(ASKER, id);
    if (!prompt) return this.screen.answerLine(`No prompt named "${id}". /prompt lists them.`);
    const entered = formAnswer(line.slice(id.length).trim());
    const read = prompts.readArguments(prompt, entered.action === 'accept' ? entered.values : {});
    if (!read.ok) return this.screen.answerLine(`${read.message} ${promptUsage(prompt)}`);
    let question;
    try {
      question = await prompts.question(ASKER, prompt, read.args);
    } catch (error) {
      if (error instanceof PromptError) return this.screen.answerLine(error.message);
      throw error;
    }
    await this.options.engine.handle({ threadKey: THREAD_KEY, asker: ASKER, ...question }, new ConsoleReply(this.screen, this.asked));
  }
}
