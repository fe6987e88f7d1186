import Keyv from 'keyv';
import { AccessPolicy, type Asker } from '../access/index.js';
import { ConfigError, type EngineSettings } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { TextEmbedder } from '../llm/embeddings.js';
import type { ChatMessage, ChatModel } from '../llm/types.js';
import type { CreateMessageRequest, CreateMessageResult, ElicitRequest, ElicitResult } from '@modelcontextprotocol/client';
import type { CallContext, CatalogTool, ConnectResult, PersonalAccounts, ToolProvider } from '../mcp/types.js';
import { accountsNote } from './account-text.js';
import { ATTR, inCurrentContext, inSpan, recordError, startSpan } from '../observability/tracing.js';
import { FencedOutError, type HistoryStore, type MessageBus } from '../store/types.js';
import { claimOnce } from '../store/index.js';
import { TurnTakenOverError, type TurnLease } from '../queue/types.js';
import { ArgumentValidator } from './argument-validator.js';
import { formFields, readElicitationAnswer, type ElicitationAnswer } from './elicitation-form.js';
import { AnswerStream } from './answer-stream.js';
import { reasoningEndsFirst } from './model-replies/index.js';
import { progressDetail } from './progress.js';
import { completeForServer } from './sampling.js';
import { unconfirmedFeedback } from './confirmation-text.js';
import { NOT_THIS_QUESTION_TEXT } from './question-text.js';
import { QuestionBroker, type AnswerResult, type QuestionEnd } from './questions.js';
import { RunningTasks } from './running-tasks.js';
import { leftoverTaskText, stillWorkingDetail, taskStatusDetail } from './task-text.js';
import { trimHistory } from './history-budget.js';
import { ModelRequests } from './model-request.js';
import { toolSummary } from './tool-summary.js';
import { FIND_TOOLS, foundToolsText, isFindTools, type TurnTools } from './tool-choice/index.js';
import { JsonToolProtocol } from './json-protocol.js';
import { NativeToolProtocol } from './native-protocol.js';
import { RateLimiter } from './rate-limiter.js';
import { ThreadQueue, type QueuePlace } from './thread-queue.js';
import type { RequestedCall, ToolProtocol } from './tool-protocol.js';
import type { ConfirmationOutcome, ConfirmationRequest, ElicitationOutcome, ElicitationRequest, ImageAttachment, IncomingMessage, ServerTools, ToolStep, TurnEvent, TurnOutput } from './types.js';
import { ACCESS_DENIED_MESSAGE, emptyAnswerMessage, inputTooLongMessage, interruptedToolMessage, NOTHING_TO_READ_MESSAGE, RATE_LIMITED_MESSAGE, STORE_UNAVAILABLE_MESSAGE, stepLimitMessage, userMessageFor } from './user-messages.js';
import { storedUserContent, userContent } from './speaker.js';
import { readAttachments, type ReadAttachments } from './attachments.js';
import { PromptLibrary, type PromptSource } from './prompt-library.js';

/** Told how each turn and each confirmation ended, e.g. to count them for metrics. */
export interface TurnObserver {
  turnFinished(threadKey: string, outcome: 'answered' | 'failed', seconds: number): void;
  confirmationEnded(server: string, tool: string, outcome: ConfirmationOutcome): void;
}

export interface EngineDeps {
  llm: ChatModel;
  /** Ranks a large catalog's tools by meaning as well as by words (LLM_EMBEDDING_MODEL); by words alone when absent. */
  embedder?: TextEmbedder;
  tools: ToolProvider;
  history: HistoryStore;
  settings: EngineSettings;
  logger: Logger;
  observer?: TurnObserver;
  /** Everyone may use everything when absent. */
  access?: AccessPolicy;
  /**
   * Where waiting questions and running tasks are recorded, so a restart can close them, and where
   * messages per person are counted (across processes on Redis); memory only when absent.
   */
  kv?: Keyv;
  /**
   * The store's message bus where several processes share it (`Store.bus`, Redis): an answer to a
   * question or a task's Cancel pressed on one process reaches the process whose turn waits for it.
   */
  bus?: MessageBus;
  /** Servers' prompts for the `/prompt` commands; none when absent. */
  prompts?: PromptSource;
  /** Servers each person connects with their own account (`"perUser": true`); none when absent. */
  accounts?: PersonalAccounts;
}

/** What an adapter should do with a message before showing anything: go on, or refuse (telling the person when `notice` is set). */
export type AccessCheck = { allowed: true } | { allowed: false; notice: string | undefined };

interface TurnState {
  threadKey: string;
  asker: Asker;
  /** Sampling requests served in this turn, against the per-turn cap. */
  samples: number;
  log: Logger;
  output: TurnOutput;
  /** Everything this asker may use, and what each request offers of it. */
  tools: TurnTools;
  messages: ChatMessage[];
  images: ImageAttachment[];
  steps: number;
  /** The text shown so far as it streamed, all model replies of the turn together. */
  shown: string;
  /** Text events on their way to the output, in order. */
  rendering: Promise<void>;
  /** Steps whose call has started on its server. */
  started: Set<number>;
  /** From the queue that runs the turn: told before each tool starts. */
  lease: TurnLease | undefined;
  /** The history write's fencing token, where processes share the store. */
  fence: number | undefined;
  /** For the model, after the system prompt: the asker's per-person servers that are not connected. */
  accountsNote: string | undefined;
}

/** A refused person is told at most this often. */
const ACCESS_NOTICE_INTERVAL_MS = 10 * 60_000;

/** Between what a model said before a tool call and what it says after. */
const TEXT_SEPARATOR = '\n\n';

function protocolFor(settings: EngineSettings): ToolProtocol {
  return settings.toolMode === 'native' ? new NativeToolProtocol() : new JsonToolProtocol();
}

/**
 * Refuses a context window too small for even the smallest request (system prompt, `find_tools`, a
 * short question and room for the answer), before anything starts.
 * @throws ConfigError naming LLM_CONTEXT_TOKENS
 */
export async function checkContextWindow(settings: EngineSettings): Promise<void> {
  const { fits, neededTokens } = await new ModelRequests(protocolFor(settings), settings).minimalRequestFits();
  if (fits) return;
  throw new ConfigError(
    `LLM_CONTEXT_TOKENS=${settings.contextTokens} is too small: the system prompt, one tool and a short question with room for the answer need about ${neededTokens} tokens; set it to the context size the model is served with`,
  );
}

/** Runs conversations: one turn at a time per thread, tools through the pool, history in the store. */
export class ConversationEngine {
  private readonly queue = new ThreadQueue();
  private readonly protocol: ToolProtocol;
  private readonly validator = new ArgumentValidator();
  private readonly rateLimiter: RateLimiter;
  private readonly access: AccessPolicy;
  private readonly questions: QuestionBroker;
  private readonly tasks: RunningTasks;
  private readonly requests: ModelRequests;
  /**
   * Whether this model's template opens a reasoning block before each reply (DeepSeek-R1, Qwen3
   * thinking: only the block's end is in the reply), as LLM_REPLIES_START_IN_REASONING says or learned
   * from the first reply with text. Until it is known, nothing of a reply streams: its start might be
   * reasoning.
   */
  private thinksFirst: boolean | undefined;
  /** Servers' prompts, as the asker may use them; a filled one is asked through `handle`. */
  readonly prompts: PromptLibrary;
  /** Where "refused person told" marks live: the store where there is one. */
  private readonly notices: Keyv;

  constructor(private readonly deps: EngineDeps) {
    this.protocol = protocolFor(deps.settings);
    const { repliesStartInReasoning } = deps.settings;
    this.thinksFirst = repliesStartInReasoning === 'auto' ? undefined : repliesStartInReasoning === 'yes';
    this.requests = new ModelRequests(this.protocol, deps.settings, deps.embedder);
    this.rateLimiter = new RateLimiter(deps.settings.rateLimitPerMinute, deps.logger, deps.kv);
    this.access = deps.access ?? new AccessPolicy();
    this.questions = new QuestionBroker(deps.kv, deps.logger, deps.bus);
    this.prompts = new PromptLibrary(deps.prompts, this.access, deps.logger);
    this.tasks = new RunningTasks(deps.kv, deps.logger, deps.bus);
    this.notices = deps.kv ?? new Keyv();
  }

  /**
   * Adapters ask this before they start a thread or show a placeholder, so a refused person sees
   * nothing but one short notice, at most every ten minutes from all processes sharing the store
   * together (a retry loop must not turn the bot into a spammer). Never rejects: a store that cannot
   * say means the notice is given.
   */
  async checkAccess(asker: Asker): Promise<AccessCheck> {
    if (this.admits(asker)) return { allowed: true };
    this.deps.logger.info({ user: asker.userId, channel: asker.channelId }, 'message refused: not allowed here');
    const tell = await claimOnce(this.notices, `access-notice:${asker.personId}`, ACCESS_NOTICE_INTERVAL_MS).catch(() => true);
    return { allowed: false, notice: tell ? ACCESS_DENIED_MESSAGE : undefined };
  }

  /** May this person use the bot here at all (for commands, which answer privately anyway)? */
  admits(asker: Asker): boolean {
    return this.access.admits(asker);
  }

  /** An Approve or Deny press on a confirmation question. */
  decideConfirmation(id: string, userId: string, approve: boolean): Promise<AnswerResult> {
    return this.questions.answer(id, userId, approve);
  }

  /** A person's answer to a server's form. */
  answerElicitation(id: string, userId: string, answer: ElicitationAnswer): Promise<AnswerResult> {
    return this.questions.answer(id, userId, answer);
  }

  /**
   * A server's form still waiting for its asker (in this process or another sharing the store), so a
   * platform can build its inputs or refuse others first.
   */
  async waitingElicitation(questionId: string): Promise<ElicitationRequest | undefined> {
    const question = await this.questions.waitingQuestion(questionId);
    return question && 'fields' in question ? (question as ElicitationRequest) : undefined;
  }

  /** Ends every question to a person as unanswered: a stopping bot cannot wait minutes for people. */
  cancelQuestions(): void {
    this.questions.cancelAll();
  }

  /**
   * The asker's Cancel on a step running as an MCP task (`cancelId` from its `task-started` event), in
   * this process or another sharing the store; the model is told it was cancelled.
   */
  cancelTask(cancelId: string, userId: string): Promise<AnswerResult> {
    return this.tasks.cancel(cancelId, userId);
  }

  /** Cancels every running task (on their servers too): a stopping bot cannot wait for a job of half an hour. */
  cancelTasks(): void {
    this.tasks.cancelAll('the bot is stopping');
  }

  /**
   * At start-up: cancels each task a previous run of the bot left running (recorded in the store), and
   * tells its thread with `tell`, which returns false where the platform cannot post (then it is logged).
   */
  async cancelLeftoverTasks(tell: (threadKey: string, text: string) => Promise<boolean>): Promise<void> {
    const cancelTask = this.deps.tools.cancelTask?.bind(this.deps.tools);
    const { accounts } = this.deps;
    for (const task of await this.tasks.takeLeftovers()) {
      // A per-person call's task lives on its person's own connection, and only that one may cancel it.
      const outcome =
        task.person !== undefined && accounts
          ? await accounts.cancelTask(task.person, task.server, task.taskId)
          : cancelTask
            ? await cancelTask(task.server, task.taskId)
            : { kind: 'failed' as const, reason: 'tasks cannot be cancelled here' };
      const text = leftoverTaskText(task, outcome);
      const log = this.deps.logger.child({ threadKey: task.threadKey, server: task.server, tool: task.tool, taskId: task.taskId });
      log.info({ outcome: outcome.kind }, 'task left by the previous run handled');
      const told = await tell(task.threadKey, text).catch((error: unknown) => {
        log.warn({ err: error }, 'thread could not be told about the task');
        return false;
      });
      if (!told) log.warn({ text }, 'the thread of a task left by the previous run cannot be reached; only this log says what became of it');
    }
  }

  /**
   * Queues the message behind earlier ones of its thread; resolves once the turn's last event is
   * rendered. Never rejects. `lease`: the turn job's, when a turn queue runs it (see TurnLease).
   */
  handle(message: IncomingMessage, output: TurnOutput, lease?: TurnLease): Promise<void> {
    // The place first: the rate limit may take a round trip, and a later message must not overtake this one.
    return this.take(this.queue.reserve(message.threadKey), message, output, lease);
  }

  private async take(place: QueuePlace, message: IncomingMessage, output: TurnOutput, lease: TurnLease | undefined): Promise<void> {
    if (lease?.savedAnswer !== undefined) {
      place.release();
      this.deps.logger.info({ threadKey: message.threadKey }, 'taken over after its answer was saved: shown again');
      return this.deliver(this.deps.logger, output, { type: 'answer', text: lease.savedAnswer, images: [] });
    }
    if (lease?.interruptedTool) {
      place.release();
      const { server, tool } = lease.interruptedTool;
      return this.refuse(message, output, interruptedToolMessage(server, tool), 'taken over after a tool had started');
    }
    // Checked before the turn waits for its thread, so a flood neither reaches the model nor holds a thread up.
    const { maxInputChars } = this.deps.settings;
    const refusal = !this.access.admits(message.asker)
      ? { text: ACCESS_DENIED_MESSAGE, reason: 'not allowed here' }
      : message.text.length > maxInputChars
        ? { text: inputTooLongMessage(message.text.length, maxInputChars), reason: 'message too long' }
        : // The console is the operator at the keyboard, as for the access lists.
          !message.asker.operator && !(await this.rateLimiter.allow(message.asker.userId))
          ? { text: RATE_LIMITED_MESSAGE, reason: 'rate limited' }
          : undefined;
    if (refusal) {
      place.release();
      return this.refuse(message, output, refusal.text, refusal.reason);
    }
    // One trace per turn from the moment it is handed over, so the wait behind the thread's earlier turns shows.
    const attributes = { [ATTR.conversationId]: message.threadKey, [ATTR.platform]: message.threadKey.split(':')[0] };
    return inSpan('turn', { root: true, attributes }, () => {
      const waiting = startSpan('queue wait');
      return place.run(
        inCurrentContext(() => {
          waiting.end();
          // What runTurn does not catch itself (preparing the turn) still ends in an error line, never silence.
          return this.runTurn(message, output, lease).catch(async (error: unknown) => {
            this.deps.logger.error({ err: error, threadKey: message.threadKey }, 'turn could not be prepared');
            recordError(error);
            await this.deliver(this.deps.logger, output, { type: 'error', message: userMessageFor(error) });
          });
        }),
      );
    });
  }

  async reset(threadKey: string): Promise<void> {
    await this.deps.history.delete(threadKey);
    this.deps.logger.info({ threadKey }, 'history reset');
  }

  /**
   * The servers and tools this asker may use; nothing for someone the bot does not admit. A
   * per-person server is `connected` or `not connected` for this asker, with the tools of their open
   * connection.
   */
  async listTools(asker: Asker, server?: string): Promise<ServerTools[]> {
    if (!this.access.admits(asker)) return [];
    const byServer = new Map<string, ServerTools>();
    for (const [name, state] of Object.entries(this.deps.tools.serverStates())) {
      if (this.access.mayUseServer(name, asker)) byServer.set(name, { server: name, state, tools: [] });
    }
    const describe = (tool: CatalogTool) => ({ name: tool.name, description: toolSummary(tool.description), asksFirst: this.access.needsConfirmation(tool) });
    for (const tool of this.deps.tools.tools()) byServer.get(tool.server)?.tools.push(describe(tool));
    const personal = this.personalServers(asker).filter((name) => server === undefined || name === server);
    if (personal.length > 0) {
      // Opens the asker's connections, so a connected server lists its tools as their questions get them,
      // under the names the model sees; the same shared catalog as their turns', so theirs stays built.
      const { catalog, unconnected, unavailable } = await this.deps.accounts!.catalogFor(asker.personId, this.access.catalogFor(asker, this.deps.tools.tools()), personal);
      for (const name of personal) {
        const down = unavailable.find((entry) => entry.server === name);
        const state = unconnected.includes(name) ? 'not connected' : down ? `connected, unreachable: ${down.reason}` : 'connected';
        byServer.set(name, { server: name, state, tools: catalog.filter((tool) => tool.server === name).map(describe) });
      }
    }
    const all = [...byServer.values()];
    return server === undefined ? all : all.filter((entry) => entry.server === server);
  }

  /** Names of every server this asker may use (shared, then per-person), without opening anything: for autocomplete and "no such server" lines. */
  serverNames(asker: Asker): string[] {
    if (!this.access.admits(asker)) return [];
    return [...Object.keys(this.deps.tools.serverStates()).filter((name) => this.access.mayUseServer(name, asker)), ...this.personalServers(asker)];
  }

  /** The per-person servers this asker may use, in file order. */
  personalServers(asker: Asker): string[] {
    if (!this.access.admits(asker)) return [];
    return this.deps.accounts?.servers().filter((server) => this.access.mayUseServer(server, asker)) ?? [];
  }

  /** `/connect <server>`: a private link that connects the asker's own account, unless it is connected already. */
  async connectAccount(asker: Asker, server: string): Promise<ConnectResult> {
    const servers = this.personalServers(asker);
    if (!servers.includes(server)) return { kind: 'unknown', servers };
    return this.deps.accounts!.connect(asker.personId, server);
  }

  /**
   * `/disconnect <server>`: forgets the asker's tokens for it and closes their connection. True when
   * they were connected, false when not, undefined for a server that takes no account of theirs.
   */
  async disconnectAccount(asker: Asker, server: string): Promise<boolean | undefined> {
    if (!this.personalServers(asker).includes(server)) return undefined;
    return this.deps.accounts!.disconnect(asker.personId, server);
  }

  /**
   * The tools this asker is offered: the shared ones their access allows, then those of the per-person
   * servers they connected. Servers they have not connected are named in `note` for the model, and
   * their links sent to them privately (the first time, then at most daily; see PersonalAccounts.offerLinks).
   */
  private async askerCatalog(asker: Asker, log: Logger, output: TurnOutput): Promise<{ catalog: CatalogTool[]; note: string | undefined }> {
    const shared = this.access.catalogFor(asker, this.deps.tools.tools());
    const servers = this.personalServers(asker);
    const accounts = this.deps.accounts;
    if (!accounts || servers.length === 0) return { catalog: shared, note: undefined };
    const personal = await accounts.catalogFor(asker.personId, shared, servers);
    const linked = new Set(personal.links.map((link) => link.server));
    const links = [...personal.links, ...(await accounts.offerLinks(asker.personId, personal.unconnected.filter((name) => !linked.has(name))))];
    if (links.length > 0) await this.deliver(log, output, { type: 'connect-links', links });
    return { catalog: personal.catalog, note: accountsNote(personal) };
  }

  /** Turns waiting or running, all threads together. */
  queuedTurns(): number {
    return this.queue.inFlight;
  }

  /** Waits for every queued turn to finish; false when `timeoutMs` ran out first. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.queue.idle(timeoutMs);
  }

  private async runTurn(message: IncomingMessage, output: TurnOutput, lease: TurnLease | undefined): Promise<void> {
    const log = this.deps.logger.child({ threadKey: message.threadKey });
    const started = Date.now();
    let history: ChatMessage[];
    let fence: number | undefined;
    try {
      // The token first: a turn that read the history before taking it could save over a newer one.
      fence = await this.deps.history.fence?.(message.threadKey);
      history = await this.deps.history.get(message.threadKey);
    } catch (error) {
      log.error({ err: error }, 'history could not be read');
      recordError(error);
      await this.deliver(log, output, { type: 'error', message: STORE_UNAVAILABLE_MESSAGE });
      this.finished(message.threadKey, 'failed', started);
      return;
    }

    const attached = await this.readFiles(message, log);
    for (const notice of attached?.notices ?? []) await this.deliver(log, output, { type: 'notice', text: notice });
    if (message.text.trim() === '' && attached && attached.text === '' && attached.images.length === 0) {
      // Only files, none of them readable: the notices said why, and there is nothing to ask.
      await this.deliver(log, output, { type: 'error', message: NOTHING_TO_READ_MESSAGE });
      this.finished(message.threadKey, 'failed', started);
      return;
    }

    const offered = await this.askerCatalog(message.asker, log, output);
    const turn: TurnState = {
      threadKey: message.threadKey,
      asker: message.asker,
      samples: 0,
      log,
      output,
      tools: this.requests.turnTools(offered.catalog, message.text, history),
      messages: [{ role: 'user', content: userContent(message, attached) }],
      images: [],
      steps: 0,
      shown: '',
      rendering: Promise.resolve(),
      started: new Set(),
      lease,
      fence,
      accountsNote: offered.note,
    };
    try {
      const { answer, leadIn } = await this.converse(history, turn);
      turn.messages.push({ role: 'assistant', content: answer });
      const [, ...rest] = turn.messages;
      if (!(await this.saveHistory(turn, [...history, { role: 'user', content: storedUserContent(message, attached) }, ...rest]))) return await this.withdraw(turn);
      const shown = leadIn === '' ? answer : `${leadIn}${TEXT_SEPARATOR}${answer}`;
      await lease?.answerSaved(shown).catch((error: unknown) => {
        if (error instanceof TurnTakenOverError) throw error;
        log.warn({ err: error }, 'answer not recorded for a take-over');
      });
      log.info({ steps: turn.steps, ms: Date.now() - started }, 'turn answered');
      await this.deliver(log, output, { type: 'answer', text: shown, images: turn.images });
      this.finished(message.threadKey, 'answered', started);
    } catch (error) {
      if (error instanceof TurnTakenOverError) return await this.withdraw(turn);
      log.error({ err: error, steps: turn.steps }, 'turn failed');
      recordError(error);
      await turn.rendering;
      await this.deliver(log, output, { type: 'error', message: userMessageFor(error) });
      this.finished(message.threadKey, 'failed', started);
    }
  }

  /** The message's files as the model reads them, within what is left of MAX_INPUT_CHARS; undefined without files. */
  private async readFiles(message: IncomingMessage, log: Logger): Promise<ReadAttachments | undefined> {
    if (!message.files || message.files.length === 0) return undefined;
    const { maxInputChars, vision } = this.deps.settings;
    const attached = await readAttachments(message.files, { maxChars: maxInputChars - message.text.length, vision });
    log.info({ files: message.files.length, images: attached.images.length, notRead: attached.notices.length }, 'attachments read');
    return attached;
  }

  private async refuse(message: IncomingMessage, output: TurnOutput, text: string, reason: string): Promise<void> {
    this.deps.logger.info({ threadKey: message.threadKey, user: message.asker.userId, reason }, 'message refused');
    await this.deliver(this.deps.logger, output, { type: 'error', message: text });
  }

  private finished(threadKey: string, outcome: 'answered' | 'failed', started: number): void {
    this.deps.observer?.turnFinished(threadKey, outcome, (Date.now() - started) / 1000);
  }

  /**
   * The tool loop: ask the model, run what it calls, feed the results back, until it answers.
   * `answer` is the model's last word, as the history keeps it; `leadIn` is what it said on the way
   * and was shown as it streamed (text before its tool calls), which stays above the answer.
   */
  private async converse(history: ChatMessage[], turn: TurnState): Promise<{ answer: string; leadIn: string }> {
    const { settings, llm } = this.deps;
    for (;;) {
      const atLimit = turn.steps >= settings.maxToolSteps;
      const request = await this.requests.next(turn.tools, history, turn.messages, atLimit, turn.log, turn.accountsNote);
      const leadIn = turn.shown;
      const stream = new AnswerStream(request.tools, this.thinksFirst, (delta) => this.showText(turn, leadIn !== '' && turn.shown === leadIn ? `${TEXT_SEPARATOR}${delta}` : delta));
      const reply = await llm.complete(request.messages, { ...request.options, onContent: stream.push });
      await turn.rendering;
      if (this.thinksFirst === undefined && reply.text.trim() !== '') {
        this.thinksFirst = reasoningEndsFirst(reply.text);
        if (this.thinksFirst) turn.log.info('the model starts its replies inside a reasoning block: streamed text waits for the block to end');
      }
      const decision = this.protocol.interpret(reply, request.tools);
      if (decision.kind === 'answer') {
        const answer = decision.text || emptyAnswerMessage(reply.finishReason);
        this.showRest(turn, leadIn === '' ? answer : `${leadIn}${TEXT_SEPARATOR}${answer}`);
        await turn.rendering;
        return { answer, leadIn };
      }
      if (atLimit) {
        turn.log.warn({ steps: turn.steps }, 'model kept calling tools after the step limit');
        return { answer: stepLimitMessage(turn.steps), leadIn: turn.shown };
      }
      turn.messages.push(decision.assistantMessage);
      const planned = await this.planCalls(decision.calls, turn);
      for (const [index, call] of decision.calls.entries()) {
        // Every call gets an answer, even past the limit: native protocols require one per call id.
        const text = turn.steps < settings.maxToolSteps ? await this.runCall(call, turn) : 'Skipped: the tool-call limit for this question is reached.';
        turn.messages.push(this.protocol.feedback(call, text));
        const step = planned.get(index);
        if (step && !turn.started.has(step.step)) await this.deliver(turn.log, turn.output, { type: 'tool-finished', ...step, ok: false });
      }
    }
  }

  /**
   * Announces the calls of one reply that will run on a server, before the first of them does, so
   * people see what is coming (pending); by the index of the call, the step each will have.
   */
  private async planCalls(calls: RequestedCall[], turn: TurnState): Promise<Map<number, ToolStep>> {
    const planned = new Map<number, ToolStep>();
    for (const [index, call] of calls.entries()) {
      const step = turn.steps + index + 1;
      if ('invalid' in call || step > this.deps.settings.maxToolSteps || isFindTools(call.tool)) continue;
      const tool = turn.tools.catalog.find((candidate) => candidate.name === call.tool);
      if (!tool) continue;
      const planning = { step, server: tool.server, tool: tool.toolName };
      planned.set(index, planning);
      await this.deliver(turn.log, turn.output, { type: 'tool-planned', ...planning });
    }
    return planned;
  }

  /** One requested call: checked against the catalog and the tool's schema, then run on its server. */
  private async runCall(call: RequestedCall, turn: TurnState): Promise<string> {
    turn.steps += 1;
    if ('invalid' in call) return `${call.invalid}. Try again or answer without the tool.`;
    const offer = turn.tools.current();
    if (offer.cut && isFindTools(call.tool)) return this.findTools(turn, call.arguments);
    const tool = turn.tools.catalog.find((candidate) => candidate.name === call.tool);
    if (!tool) {
      // Two servers sharing a tool name get `<server>_<tool>` names: point at them, the model may not have noticed.
      const sameName = turn.tools.catalog.filter((candidate) => candidate.toolName === call.tool).map((candidate) => candidate.name);
      if (sameName.length > 0) return `There is no tool named "${call.tool}": several servers have one, called ${sameName.join(', ')}. Call one of those.`;
      if (offer.cut) return `There is no tool named "${call.tool}". Search for one with ${FIND_TOOLS.name}, or answer without it.`;
      const names = offer.tools.map((candidate) => candidate.name).join(', ') || 'none';
      return `There is no tool named "${call.tool}". Available tools: ${names}.`;
    }
    const invalid = this.validator.check(tool, call.arguments);
    if (invalid) return `The arguments for ${tool.name} do not match its input schema: ${invalid}. Fix them and call it again.`;

    const log = turn.log.child({ server: tool.server, tool: tool.toolName });
    if (this.access.needsConfirmation(tool)) {
      const outcome = await this.confirm(turn, tool, call.arguments);
      this.deps.observer?.confirmationEnded(tool.server, tool.toolName, outcome);
      if (outcome !== 'approved') return unconfirmedFeedback(outcome, tool.toolName, tool.server);
    }
    const step = { step: turn.steps, server: tool.server, tool: tool.toolName };
    // Recorded before the call, so a process taking the turn over never repeats a call that may have run.
    await turn.lease?.toolStarting(step);
    turn.started.add(step.step);
    await this.deliver(log, turn.output, { type: 'tool-started', ...step });
    const started = Date.now();
    const accounts = this.deps.accounts;
    const personal = accounts?.servers().includes(tool.server) === true;
    const running = this.tasks.begin({ threadKey: turn.threadKey, askerId: turn.asker.userId, server: tool.server, tool: tool.toolName, ...(personal ? { person: turn.asker.personId } : {}) });
    const context = this.callContext(turn, tool, log, running);
    // A per-person server's tool runs on the asker's own connection, with their own token, and nowhere else.
    const outcome = personal && accounts
      ? await accounts.callTool(turn.asker.personId, tool.server, tool.toolName, call.arguments, context)
      : await this.deps.tools.callTool(tool.name, call.arguments, context);
    await this.tasks.end(running.id);
    if (outcome.connect) await this.deliver(log, turn.output, { type: 'connect-links', links: [outcome.connect] });
    log.info({ ok: outcome.ok, ms: Date.now() - started }, 'tool called');
    await this.deliver(log, turn.output, { type: 'tool-finished', ...step, ok: outcome.ok });
    for (const image of outcome.images) {
      const extension = image.mimeType.split('/')[1]?.replace(/[^a-z0-9]/gi, '') || 'bin';
      turn.images.push({ data: Buffer.from(image.data, 'base64'), mimeType: image.mimeType, filename: image.filename ?? `${tool.toolName}-${turn.images.length + 1}.${extension}` });
    }
    // A failed outcome's text already names the tool, the server and what went wrong.
    return this.capped(outcome.text);
  }

  /** Streamed text goes out in order, without holding up the model's stream. */
  private showText(turn: TurnState, delta: string): void {
    turn.shown += delta;
    turn.rendering = turn.rendering.then(() => this.deliver(turn.log, turn.output, { type: 'text', delta }));
  }

  /**
   * What was held back while the reply might still have been something else (its last word, a closing
   * fence) streams once it is known to be the answer, so the text events add up to the whole answer.
   */
  private showRest(turn: TurnState, visible: string): void {
    if (turn.shown !== '' && visible.startsWith(turn.shown) && visible.length > turn.shown.length) this.showText(turn, visible.slice(turn.shown.length));
  }

  /** The bot's own search over the whole catalog; what it finds is offered from the next request on. */
  private findTools(turn: TurnState, args: Record<string, unknown>): string {
    const query = typeof args.query === 'string' ? args.query : '';
    if (query.trim() === '') return `${FIND_TOOLS.name} needs a "query": what you want to do, in a few words.`;
    const found = turn.tools.find(query);
    turn.log.info({ query, found: found.map((tool) => tool.name) }, 'tools searched');
    return foundToolsText(query, found);
  }

  /**
   * What the tool's server may do during the call: report progress, ask the person, borrow the model;
   * and, for a call that runs as a task, how it goes and how the asker cancels it (`running`).
   */
  private callContext(turn: TurnState, tool: CatalogTool, log: Logger, running: { id: string; signal: AbortSignal }): CallContext {
    const step = { step: turn.steps, server: tool.server, tool: tool.toolName };
    const progress = (detail: string) => void this.deliver(log, turn.output, { type: 'tool-progress', ...step, detail });
    let lastStatus: string | undefined;
    return {
      signal: running.signal,
      task: {
        // Offered for cancelling once recorded, so a restart from then on finds it.
        created: (taskId) => void this.tasks.created(running.id, taskId).then(() => this.deliver(log, turn.output, { type: 'task-started', ...step, cancelId: running.id })),
        status: (status, message) => progress((lastStatus = taskStatusDetail(status, message))),
        overdue: (elapsedMs) => progress(stillWorkingDetail(elapsedMs, lastStatus)),
      },
      onProgress: (report) => progress(progressDetail(report)),
      elicit: (request) => this.elicit(turn, tool, request),
      sample: (request) => this.sample(turn, tool, request, log),
    };
  }

  /**
   * A server's question for the asker, mid-call (2025 revisions) or in a multi round-trip answer
   * (2026-07-28; the pool retries the call with what this returns): a form, or a page to open.
   */
  private async elicit(turn: TurnState, tool: CatalogTool, request: ElicitRequest['params']): Promise<ElicitResult> {
    const url = request.mode === 'url' ? { url: request.url } : {};
    const fields = request.mode === 'url' ? [] : formFields(request.requestedSchema);
    const outcomeOf = (end: QuestionEnd<ElicitResult>): ElicitationOutcome => (end.kind === 'answered' ? (end.answer.action === 'accept' ? 'accepted' : 'declined') : end.kind);
    const end = await this.questions.ask<ElicitationRequest, ElicitResult>(
      { threadKey: turn.threadKey, askerId: turn.asker.userId, server: tool.server, tool: tool.toolName, message: request.message, fields, ...url },
      this.deps.settings.elicitationTimeoutMs,
      { show: (question) => turn.output.emit({ type: 'form-asked', request: question }), end: (question, ended) => turn.output.emit({ type: 'form-ended', request: question, outcome: outcomeOf(ended) }) },
      (answer) => readElicitationAnswer(fields, answer),
    );
    if (end.kind !== 'answered') return { action: 'cancel' };
    // Accepting a page to open carries no content (MCP spec, client/elicitation, URL mode).
    return request.mode === 'url' ? { action: end.answer.action } : end.answer;
  }

  /** A server borrowing the model, within the per-turn cap; the server's own messages only, no history. */
  private async sample(turn: TurnState, tool: CatalogTool, request: CreateMessageRequest['params'], log: Logger): Promise<CreateMessageResult> {
    const cap = this.deps.settings.maxSamplesPerTurn;
    if (turn.samples >= cap) throw new Error(`the bot serves at most ${cap} sampling requests per question, and this question has used them`);
    turn.samples += 1;
    const result = await completeForServer(this.deps.llm, request);
    log.info({ server: tool.server, samples: turn.samples }, 'sampling request served');
    return result;
  }

  private async confirm(turn: TurnState, tool: CatalogTool, args: Record<string, unknown>): Promise<ConfirmationOutcome> {
    const asked = { threadKey: turn.threadKey, askerId: turn.asker.userId, server: tool.server, tool: tool.toolName, arguments: args };
    const outcomeOf = (end: QuestionEnd<boolean>): ConfirmationOutcome => (end.kind === 'answered' ? (end.answer ? 'approved' : 'denied') : end.kind);
    const end = await this.questions.ask<ConfirmationRequest, boolean>(
      asked,
      this.deps.settings.confirmTimeoutMs,
      { show: (request) => turn.output.emit({ type: 'confirmation-asked', request }), end: (request, ended) => turn.output.emit({ type: 'confirmation-ended', request, outcome: outcomeOf(ended) }) },
      (answer) => (typeof answer === 'boolean' ? { ok: true, value: answer } : { ok: false, message: NOT_THIS_QUESTION_TEXT }),
    );
    return outcomeOf(end);
  }

  /** A huge result would crowd out the conversation; the model is told what it is missing. */
  private capped(text: string): string {
    const limit = this.deps.settings.maxToolResultChars;
    if (text.length <= limit) return text;
    return `${text.slice(0, limit)}\n[The result was cut here: it had ${text.length} characters and only the first ${limit} are shown.]`;
  }

  /**
   * Another process took the turn over, after this one stalled past its lease, and answers the
   * message: what this run showed goes, so the thread shows one answer.
   */
  private async withdraw(turn: TurnState): Promise<void> {
    turn.log.warn('another process took this turn over and answers it; what this run showed is removed');
    await turn.rendering;
    await this.deliver(turn.log, turn.output, { type: 'withdrawn' });
  }

  /**
   * False when the thread has passed to another process meanwhile (this one lost its lease): that
   * process answers the message, so this answer is neither kept nor posted.
   */
  private async saveHistory(turn: TurnState, messages: ChatMessage[]): Promise<boolean> {
    const { historyMaxMessages, historyMaxChars } = this.deps.settings;
    try {
      await this.deps.history.set(turn.threadKey, trimHistory(messages, { maxMessages: historyMaxMessages, maxChars: historyMaxChars }), turn.fence);
    } catch (error) {
      if (error instanceof FencedOutError) return false;
      // The answer is still worth posting; only the memory of this turn is lost.
      turn.log.error({ err: error }, 'history could not be saved');
    }
    return true;
  }

  /** Platform failures while posting are logged, never thrown back into the queue. */
  private async deliver(log: Logger, output: TurnOutput, event: TurnEvent): Promise<void> {
    try {
      await output.emit(event);
    } catch (error) {
      log.error({ err: error }, 'reply could not be posted');
    }
  }
}
