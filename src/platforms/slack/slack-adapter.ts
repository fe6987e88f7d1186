import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App, CustomRoute, webApi } from '@slack/bolt';
import type Keyv from 'keyv';
import { ConfigError, type SlackSettings } from '../../config/index.js';
import type { ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import type { Asker } from '../../access/index.js';
import type { ServersReload } from '../../reload/index.js';
import { filesForJob, filesFromJob, type JobFile, type TurnJob, type TurnLease, type TurnQueue } from '../../queue/index.js';
import { claimOnce } from '../../store/index.js';
import { EventNotTakenError } from './ack-after-listeners.js';
import { InFlightTurns } from '../shared/in-flight.js';
import type { PlatformAdapter } from '../types.js';
import { assistantPane, threadTitle, type AssistantThread } from './assistant-pane.js';
import { createBoltApp, slackMode, type SlackMode } from './bolt-app.js';
import { registerConfirmationActions } from './confirmation-blocks.js';
import { registerElicitationActions } from './elicitation-blocks.js';
import { registerFeedbackActions, type FeedbackCounter } from './feedback.js';
import { incomingFiles } from './incoming-files.js';
import { mentionedUserIds, readableText } from './message-text.js';
import { dmThreadKey, jobEvent, messageClaimKey, routeEvent, threadKey, threadMarkerKey, type ChannelThread, type Conversation, type SlackMessageEvent } from './message-router.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { failureFields, tokenRefusal } from './slack-failures.js';
import { RateTier } from './rate-tier.js';
import { SlackReply, type SlackReplyTarget } from './slack-reply.js';
import { closeRunMessage } from './slack-stream.js';
import { SocketModeConnection } from './socket-connection.js';
import { registerPromptCommand, type PromptTurn } from './prompt-command.js';
import { postInConversation, registerTaskCancelActions } from './task-cancel-blocks.js';
import { registerSlashCommands, slackPersonId } from './slash-commands.js';
import { UserNames } from './user-names.js';

export interface SlackAdapterOptions {
  settings: SlackSettings;
  /** HTTP events mode listens here; 0 picks a free port (see `httpPort`). */
  port: number;
  engine: ConversationEngine;
  /** Where accepted messages wait for their turn; the queue dedupes Slack's redeliveries by message. */
  queue: TurnQueue;
  /** Shared state: thread markers and titles, across processes. */
  kv: Keyv;
  logger: Logger;
  /** How long the bot remembers taking part in a channel thread; the history's lifetime fits. */
  threadMemoryMs?: number;
  /** How long stop() waits for turns in flight. */
  drainTimeoutMs?: number;
  /** More HTTP routes (e.g. /healthz) on the same server as /slack/events, in HTTP mode. */
  routes?: CustomRoute[];
  /** For tests: Web API client options such as a short `retryConfig`. */
  clientOptions?: webApi.WebClientOptions;
  /** Counts presses on the feedback buttons under answers (the bot's metrics). */
  feedback?: FeedbackCounter;
  /** What `/reload` runs; without it the command says the bot cannot reload. */
  reload?: ServersReload;
}

/** A turn as a job carries it: what runJob needs to rebuild it on any process. */
type SlackJobData =
  | {
      kind: 'message';
      teamId: string;
      event: SlackMessageEvent;
      /** It came in the assistant pane, whose status and title the turn sets. */
      assistant: boolean;
    }
  | {
      /** A filled `/prompt`: where to answer, who asked, and the prompt's messages as the question. */
      kind: 'prompt';
      teamId: string;
      conversation: Conversation;
      asker: Asker;
      /** `server/name`, for the logs. */
      prompt: string;
      text: string;
      files: JobFile[];
    };
const DEFAULT_THREAD_MEMORY_MS = 30 * 24 * 60 * 60 * 1000;
const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/** chat.appendStream is rate tier 4: about 100 calls a minute per workspace. */
const APPEND_STREAM_PER_MINUTE = 100;
const STOPPING_TEXT = "I'm restarting right now. Please ask again in a minute.";
const EMPTY_QUESTION_TEXT = 'Yes? Ask me something in this thread. `/tools` shows what I can use.';
/** How much of a filled prompt the line that opens its channel thread quotes. */
const QUOTED_PROMPT_CHARS = 300;
const FAILED_TEXT = 'Something went wrong on my side before I could answer. Please try again.';

/** A refused token as the setting to fix; any other failure as it was. */
function refusedAs(error: unknown, setting: 'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN'): never {
  const refusal = tokenRefusal(error, setting);
  throw refusal ? new ConfigError(refusal) : error;
}

/** The bot on Slack: DMs, mentions answered in threads, follow-ups in those threads, /tools, /prompt, /connect, /disconnect, /reset and /reload. */
export class SlackAdapter implements PlatformAdapter {
  readonly platform = 'slack';
  readonly mode: SlackMode;
  private readonly app: App;
  private readonly log: Logger;
  private readonly names: UserNames;
  private readonly turns: InFlightTurns;
  /** Socket Mode only: HTTP mode has no connection of its own to lose. */
  private readonly socket: SocketModeConnection | undefined;
  private stopping = false;
  private started = false;
  private botUserId = '';
  private server: Server | undefined;
  private readonly appendTiers = new Map<string, RateTier>();

  constructor(private readonly options: SlackAdapterOptions) {
    this.mode = slackMode(options.settings);
    this.log = options.logger.child({ platform: 'slack' });
    this.turns = new InFlightTurns(this.log);
    const { app, socketMode } = createBoltApp({ settings: options.settings, logger: this.log, clientOptions: options.clientOptions, routes: options.routes });
    this.app = app;
    this.socket = socketMode && new SocketModeConnection(socketMode.client, this.log);
    this.names = new UserNames(this.app.client, this.log);

    // Bolt has acknowledged an event before a listener runs; the turn runs after, tracked for stop().
    // Messages in the assistant pane's threads reach the Assistant instead of the message listener.
    this.app.assistant(
      assistantPane({
        prompts: options.settings.suggestedPrompts ?? [],
        engine: options.engine,
        log: this.log,
        onMessage: (event, teamId) => this.onMessage(event, teamId, true),
      }),
    );
    this.app.event('app_mention', ({ event, body }) => this.onMessage(event as SlackMessageEvent, body.team_id, false));
    this.app.event('message', ({ event, body }) => this.onMessage(event as SlackMessageEvent, body.team_id, false));
    registerSlashCommands(this.app, options.engine, this.log, options.reload);
    registerPromptCommand(this.app, options.engine, this.log, (turn) => this.turns.track(this.queuePrompt(turn)));
    registerConfirmationActions(this.app, options.engine, this.log);
    registerTaskCancelActions(this.app, options.engine, this.log);
    registerElicitationActions(this.app, options.engine, this.log);
    registerFeedbackActions(this.app, options.feedback, this.log);
    this.app.error(async (error) => {
      // Logged where it happened; thrown on so the event stays unacknowledged and Slack delivers it again.
      if ((error.original ?? error) instanceof EventNotTakenError) throw error.original ?? error;
      this.log.error({ code: error.code, ...failureFields(error.original ?? error) }, 'Slack handler failed');
    });
  }

  /** chat.appendStream calls of one workspace, shared by all its answers (rate tier 4, about 100 a minute). */
  private appendTier(teamId: string): RateTier {
    let tier = this.appendTiers.get(teamId);
    if (!tier) this.appendTiers.set(teamId, (tier = new RateTier(APPEND_STREAM_PER_MINUTE)));
    return tier;
  }

  /** The port HTTP events arrive on, once started (HTTP mode only). */
  get httpPort(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  /** In Socket Mode, whether the WebSocket is up now; in HTTP mode, started and not stopping. */
  connected(): boolean {
    return this.started && !this.stopping && (this.socket?.connected() ?? true);
  }

  /** Rejects with a ConfigError naming the token when Slack refuses one. */
  async start(): Promise<void> {
    // Bolt's init already asks Slack who the bot token belongs to.
    const identity = await this.app
      .init()
      .then(() => this.app.client.auth.test())
      .catch((error: unknown) => refusedAs(error, 'SLACK_BOT_TOKEN'));
    this.botUserId = identity.user_id ?? '';
    const started = await this.app.start(this.options.port).catch((error: unknown) => refusedAs(error, 'SLACK_APP_TOKEN'));
    if (this.mode === 'http') this.server = started as Server;
    this.started = true;
    this.log.info({ mode: this.mode, port: this.httpPort, botUser: this.botUserId, team: identity.team_id }, 'connected to Slack');
  }

  /** New messages get a short "restarting" answer; turns in flight finish (bounded); then Slack is let go. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.turns.drain(this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    await this.app.stop();
    this.log.info('disconnected from Slack');
  }

  async sendDirectMessage(userId: string, text: string): Promise<boolean> {
    try {
      // Posting to a user id opens the app's DM with them.
      await this.app.client.chat.postMessage({ channel: userId, text });
      return true;
    } catch (error) {
      this.log.debug({ user: userId, ...failureFields(error) }, 'direct message not delivered');
      return false;
    }
  }

  postToThread(threadKey: string, text: string): Promise<boolean> {
    return postInConversation(this.app.client, threadKey, text, this.log);
  }

  /**
   * Is it for me → which thread → on the queue, before Slack sees the event acknowledged (see
   * ackEventsAfterListeners). The message takes its place in its thread's line here, before any
   * other round trip; the rest happens in runJob, on whichever process the queue picks.
   */
  private async onMessage(event: SlackMessageEvent, teamId: string, assistant: boolean): Promise<void> {
    const route = routeEvent(event, { teamId, botUserId: this.botUserId });
    if (!route) return;
    const { threadKey } = route.conversation;
    const data: SlackJobData = { kind: 'message', teamId, event: jobEvent(event), assistant };
    // One job per message: Slack's redeliveries and the app_mention + message pair share channel and ts.
    const job: TurnJob = { id: messageClaimKey(teamId, event), threadKey, orderMs: Math.floor(Number(event.ts) * 1000), platform: this.platform, data: data as unknown as TurnJob['data'] };
    try {
      if ((await this.options.queue.enqueue(job)) === 'duplicate') this.log.debug({ threadKey, ts: event.ts }, 'message already queued (a redelivery, or the app_mention/message pair)');
    } catch (error) {
      this.log.error({ err: error, threadKey, ts: event.ts }, 'message could not be queued; Slack will deliver it again');
      throw new EventNotTakenError(error);
    }
  }

  /**
   * A queued message's turn: is it still for the bot (a reply without a mention counts where the bot
   * has answered before; the mention that opened the thread ran first, as the earlier job of the
   * thread) → placeholder → the engine, its output in the thread.
   */
  async runJob(job: TurnJob, lease: TurnLease): Promise<void> {
    const data = job.data as unknown as SlackJobData;
    const turn = data.kind === 'prompt' ? this.answerPrompt(data, lease) : this.answerMessage(data, lease);
    this.turns.track(turn);
    await turn;
  }

  private async answerMessage({ teamId, event, assistant }: Extract<SlackJobData, { kind: 'message' }>, lease: TurnLease): Promise<void> {
    const route = routeEvent(event, { teamId, botUserId: this.botUserId });
    if (!route) return;
    const conversation = await this.conversationFor(route, teamId);
    if (!conversation) return;
    const thread = assistant && event.thread_ts ? this.assistantThread(event.channel, event.thread_ts) : undefined;
    await this.answer(event, teamId, conversation, thread, lease);
  }

  /**
   * Where a turn of `asker` (a user id) goes; each message it may leave unfinished is recorded with the
   * lease, for a take-over. Outside a DM a stream is shown to everyone in the channel, but Slack wants
   * to know whom it answers.
   */
  private replyTarget(teamId: string, conversation: Conversation, asker: string, lease: TurnLease): SlackReplyTarget {
    const { channel, threadTs } = conversation;
    const recordStarted = (ts: string) => lease.replyStarted({ channel, ts }).catch((error: unknown) => this.log.warn({ err: error, threadKey: conversation.threadKey }, 'posted message not recorded for a take-over'));
    const recipient = conversation.kind === 'dm' ? undefined : { userId: asker, teamId };
    return { channel, threadTs, asker, recipient, appendTier: this.appendTier(teamId), ...(lease.mayBeTakenOver ? { recordStarted } : {}) };
  }

  /**
   * A take-over of a turn whose process stopped: the answer it was writing (streamed, or the live
   * message of a top-level DM) would stay, cut off or whole, above the new one, so it is closed, and
   * removed when this run answers again (kept, closed, when the thread is told the turn was
   * interrupted: it shows what was done).
   */
  private async closeEarlierReplies(lease: TurnLease, log: Logger): Promise<void> {
    const keep = lease.interruptedTool !== undefined && lease.savedAnswer === undefined;
    for (const earlier of lease.earlierReplies as { channel: string; ts: string }[]) await closeRunMessage(this.app.client, earlier.channel, earlier.ts, !keep, log);
  }

  /** The pane's status and title, through the Web API (Bolt's helpers need the event's own context). */
  private assistantThread(channel: string, threadTs: string): AssistantThread {
    const { assistant } = this.app.client;
    return {
      setStatus: (status) => assistant.threads.setStatus({ channel_id: channel, thread_ts: threadTs, status }),
      setTitle: (title) => assistant.threads.setTitle({ channel_id: channel, thread_ts: threadTs, title }),
    };
  }

  /** The rest of a message for the bot, up to its answer. */
  private async answer(event: SlackMessageEvent, teamId: string, conversation: Conversation, thread: AssistantThread | undefined, lease: TurnLease): Promise<void> {
    const log = this.log.child({ threadKey: conversation.threadKey });
    await this.closeEarlierReplies(lease, log);
    const reply = new SlackReply(this.app.client, { ...this.replyTarget(teamId, conversation, event.user ?? '', lease), setStatus: thread?.setStatus, messageTs: event.ts }, log);
    try {
      log.debug({ channel: conversation.channel, ts: event.ts, user: event.user }, 'message for the bot');
      // One process alone: nobody else will answer what it queued, and it is about to go.
      if (this.stopping && this.options.queue.kind === 'in-process') return await reply.say(STOPPING_TEXT);
      const asker = { userId: event.user ?? '', personId: slackPersonId(teamId, event.user ?? ''), roleIds: [], channelId: conversation.channel, direct: conversation.kind === 'dm' };
      // Before the placeholder, so a refused person sees one private notice and nothing else.
      const access = await this.options.engine.checkAccess(asker);
      if (!access.allowed) return access.notice ? await reply.whisper(asker.userId, access.notice) : undefined;
      if (conversation.kind === 'channel-thread') await this.rememberThread(teamId, conversation);
      const raw = event.text ?? '';
      const people = mentionedUserIds(raw).filter((id) => id !== this.botUserId);
      const text = readableText(raw, this.botUserId, await this.names.names(people));
      const files = incomingFiles(event.files, this.options.settings.botToken, this.options.settings.apiUrl);
      if (!text && files.length === 0) return await reply.say(EMPTY_QUESTION_TEXT);
      await reply.begin();
      if (thread) await this.titleThread(conversation.threadKey, thread, text || files.map((file) => file.name).join(', '), log);
      const authorName = conversation.kind === 'dm' ? undefined : await this.names.name(asker.userId);
      await this.options.engine.handle({ threadKey: conversation.threadKey, asker, authorName, text, ...(files.length > 0 ? { files } : {}) }, reply, lease);
    } catch (error) {
      log.error({ err: error }, 'message could not be handled');
      await reply.say(FAILED_TEXT);
    } finally {
      reply.dispose();
    }
  }

  /**
   * A filled `/prompt`, asked where the command was run: in a DM as a message there; in a channel in
   * a new thread under a line that says who asked which prompt (a slash command has no thread of its
   * own). Queued like a message, with the prompt's resources read here.
   */
  private async queuePrompt({ teamId, channel, asker, prompt, question }: PromptTurn): Promise<void> {
    const name = `${prompt.server}/${prompt.name}`;
    try {
      let conversation: Conversation;
      if (asker.direct) {
        conversation = { kind: 'dm', threadKey: dmThreadKey(teamId, channel), channel, threadTs: undefined };
      } else {
        const excerpt = question.text.length > QUOTED_PROMPT_CHARS ? `${question.text.slice(0, QUOTED_PROMPT_CHARS - 1)}…` : question.text;
        const lead = await this.app.client.chat.postMessage({ channel, text: `<@${asker.userId}> asked with the prompt \`${escapeMrkdwn(name)}\`:\n>${escapeMrkdwn(excerpt).replace(/\n/g, '\n>')}` });
        const threadTs = lead.ts ?? '';
        conversation = { kind: 'channel-thread', threadKey: threadKey(teamId, channel, threadTs), channel, threadTs };
        await this.rememberThread(teamId, conversation);
      }
      const data: SlackJobData = { kind: 'prompt', teamId, conversation, asker, prompt: name, text: question.text, files: await filesForJob(question.files) };
      await this.options.queue.enqueue({ id: `slack-prompt:${randomUUID()}`, threadKey: conversation.threadKey, orderMs: Date.now(), platform: this.platform, data: data as unknown as TurnJob['data'] });
    } catch (error) {
      this.log.error({ err: error, prompt: name, channel }, 'prompt could not be asked');
      await this.app.client.chat.postEphemeral({ channel, user: asker.userId, text: FAILED_TEXT }).catch((failed: unknown) => this.log.warn(failureFields(failed), 'prompt failure could not be told'));
    }
  }

  private async answerPrompt({ teamId, conversation, asker, prompt, text, files }: Extract<SlackJobData, { kind: 'prompt' }>, lease: TurnLease): Promise<void> {
    const log = this.log.child({ threadKey: conversation.threadKey });
    await this.closeEarlierReplies(lease, log);
    const reply = new SlackReply(this.app.client, this.replyTarget(teamId, conversation, asker.userId, lease), log);
    try {
      if (this.stopping && this.options.queue.kind === 'in-process') return await reply.say(STOPPING_TEXT);
      await reply.begin();
      const authorName = asker.direct ? undefined : await this.names.name(asker.userId);
      await this.options.engine.handle({ threadKey: conversation.threadKey, asker, authorName, text, files: filesFromJob(files) }, reply, lease);
    } catch (error) {
      log.error({ err: error, prompt }, 'prompt could not be asked');
      await reply.say(FAILED_TEXT);
    } finally {
      reply.dispose();
    }
  }

  /** The pane lists a thread by its title: the first question asked in it. */
  private async titleThread(threadKey: string, thread: AssistantThread, question: string, log: Logger): Promise<void> {
    if (!(await claimOnce(this.options.kv, `slack-title:${threadKey}`, this.options.threadMemoryMs ?? DEFAULT_THREAD_MEMORY_MS))) return;
    await thread.setTitle(threadTitle(question)).catch((error: unknown) => log.warn(failureFields(error), 'thread title not set'));
  }

  /** The message's conversation, once it is clear the message is for the bot (a thread reply without a mention only where the bot has answered before). */
  private async conversationFor(route: NonNullable<ReturnType<typeof routeEvent>>, teamId: string): Promise<Conversation | undefined> {
    if (!route.onlyIfBotInThread) return route.conversation;
    const { conversation } = route;
    try {
      const botInThread = (await this.options.kv.get(threadMarkerKey(teamId, conversation.channel, conversation.threadTs))) === true;
      return botInThread ? conversation : undefined;
    } catch (error) {
      this.log.error({ err: error, threadKey: conversation.threadKey }, 'cannot tell whether the bot is in this thread (store unreachable); message ignored');
      return undefined;
    }
  }

  /** Later messages in this channel thread are for the bot without a mention, for the history's lifetime. */
  private async rememberThread(teamId: string, conversation: ChannelThread): Promise<void> {
    await this.options.kv.set(threadMarkerKey(teamId, conversation.channel, conversation.threadTs), true, this.options.threadMemoryMs ?? DEFAULT_THREAD_MEMORY_MS);
  }
}
