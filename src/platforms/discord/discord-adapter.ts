import { once } from 'node:events';
import type Keyv from 'keyv';
import {
  ChannelType,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Partials,
  Routes,
  ThreadAutoArchiveDuration,
  type APIThreadChannel,
  type Interaction,
  type Message,
} from 'discord.js';
import { ConfigError, type DiscordSettings } from '../../config/index.js';
import { PromptError, type ConversationEngine, type IncomingMessage } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import type { TurnJob, TurnLease, TurnQueue } from '../../queue/types.js';
import type { ServersReload } from '../../reload/index.js';
import { InFlightTurns } from '../shared/in-flight.js';
import type { PlatformAdapter } from '../types.js';
import { ArrivalOrder } from './arrival-order.js';
import type { Asker } from '../../access/index.js';
import { interactionAsker, messageAsker } from './askers.js';
import { attachmentsOf, incomingFiles } from './attachments.js';
import { isConfirmationButton, onConfirmationButton } from './confirmation-buttons.js';
import { ConversationMemory } from './conversation-memory.js';
import { sendDirectMessage } from './direct-message.js';
import { isElicitationInteraction, onElicitationButton, onElicitationSubmit } from './elicitation-modal.js';
import { hintFor, loginRefusal } from './discord-failures.js';
import { AskCommand } from './ask-command.js';
import { isPromptForm, PromptCommand } from './prompt-command.js';
import { DiscordReply } from './discord-reply.js';
import { GatewayConnection } from './gateway-connection.js';
import { questionText } from './mentions.js';
import { ChannelSurface, InteractionSurface, type ChannelTarget, type MessageSurface } from './message-surface.js';
import { guildThreadKey, routeMessage, type Route } from './message-router.js';
import { tellRefused } from './refusal.js';
import { RestPacing } from './rest-pacing.js';
import { commandDefinitions, SlashCommands } from './slash-commands.js';
import { isTaskCancelButton, onTaskCancelButton, postInConversation } from './task-cancel-button.js';
import { threadName } from './thread-name.js';
import { readTurn, turnJob, type DiscordTurn } from './turn-job.js';

/** Discord's "A thread has already been created for this message". */
const THREAD_ALREADY_STARTED = 160004;
const NOT_QUEUED_TEXT = 'Sorry, I could not take your message just now. Please send it again in a moment.';
const STOPPING_TEXT = "I'm restarting right now. Please ask again in a minute.";

export interface DiscordAdapterOptions {
  settings: DiscordSettings;
  engine: ConversationEngine;
  /** Where accepted messages wait for their turn; it runs each through `runJob`, on this process or another. */
  queue: TurnQueue;
  /** Shared state: which conversation the bot's messages belong to, and the forum posts it takes part in. */
  kv: Keyv;
  /** How long the bot remembers where a conversation is; the history's lifetime fits. */
  conversationTtlMs?: number;
  logger: Logger;
  /** How long stop() waits for turns in flight. */
  drainTimeoutMs?: number;
  /** What `/reload` runs; without it the command says the bot cannot reload. */
  reload?: ServersReload;
}

const DEFAULT_CONVERSATION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The bot on Discord: mentions start threads; threads, forum posts, DMs and replies to its answers are
 * conversations; /ask, /prompt, /tools, /reset and /reload.
 */
export class DiscordAdapter implements PlatformAdapter {
  readonly platform = 'discord';
  private readonly client: Client;
  private readonly log: Logger;
  private readonly commands: SlashCommands;
  private readonly turns: InFlightTurns;
  /** Turn jobs running here: stop() waits for them, and for those the queue still hands over as they end. */
  private readonly jobs = new Set<Promise<void>>();
  private readonly gateway: GatewayConnection;
  private readonly memory: ConversationMemory;
  private readonly pacing: RestPacing;
  private readonly ask: AskCommand;
  private readonly prompt: PromptCommand;
  private readonly arrivals = new ArrivalOrder();
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: DiscordAdapterOptions) {
    this.log = options.logger.child({ platform: 'discord' });
    this.turns = new InFlightTurns(this.log);
    this.commands = new SlashCommands(options.engine, this.log, options.reload);
    this.memory = new ConversationMemory(options.kv, options.conversationTtlMs ?? DEFAULT_CONVERSATION_TTL_MS);
    this.client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages],
      // DM channels are not cached before their first message; without this, DMs never arrive.
      partials: [Partials.Channel],
      allowedMentions: { parse: [] },
      // This process's share of the gateway (DISCORD_SHARD_IDS of DISCORD_SHARD_COUNT); every shard when unset.
      ...(options.settings.shards ? { shards: options.settings.shards.ids, shardCount: options.settings.shards.count } : {}),
      ...(options.settings.apiUrl ? { rest: { api: options.settings.apiUrl } } : {}),
    });
    this.gateway = new GatewayConnection(this.client, this.log);
    this.pacing = new RestPacing(this.client.rest);
    const enqueue = (threadKey: string, turn: DiscordTurn) => this.enqueue(threadKey, turn);
    this.ask = new AskCommand(options.engine, enqueue, this.log);
    this.prompt = new PromptCommand(options.engine, enqueue, this.log);
  }

  /** Whether a shard holds a live gateway connection now, not whether the client was ever ready. */
  connected(): boolean {
    return this.gateway.connected() && !this.stopping;
  }

  /** Rejects with a ConfigError saying what to change when Discord refuses the token or the intents. */
  async start(): Promise<void> {
    this.listen();
    let closeCode: number | undefined;
    const noteClose = (event: { code: number }) => (closeCode = event.code);
    this.client.on(Events.ShardDisconnect, noteClose);
    try {
      const ready = once(this.client, Events.ClientReady);
      await this.client.login(this.options.settings.token);
      await ready;
    } catch (error) {
      const refusal = loginRefusal(error, closeCode);
      if (!refusal) throw error;
      await this.client.destroy();
      throw new ConfigError(refusal);
    } finally {
      this.client.off(Events.ShardDisconnect, noteClose);
    }
    this.log.info({ user: this.client.user?.tag }, 'connected to Discord');
    await this.registerCommands();
  }

  /**
   * Takes no more messages, lets the turns running here finish (bounded), then disconnects; posting
   * needs the client, so it waits too for jobs an in-process queue hands over meanwhile (they only say
   * the bot is restarting). Safe to call more than once: later calls wait for the first.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const deadline = Date.now() + (this.options.drainTimeoutMs ?? 10_000);
      await this.turns.drain(deadline - Date.now());
      await this.jobsEnded(deadline);
      this.gateway.dispose();
      await this.client.destroy();
      this.log.info('disconnected from Discord');
    })();
    return this.stopping;
  }

  async sendDirectMessage(userId: string, text: string): Promise<boolean> {
    try {
      await this.client.users.send(userId, { content: text, allowedMentions: { parse: [] } });
      return true;
    } catch (error) {
      this.log.debug({ err: error, user: userId, hint: hintFor(error) }, 'direct message not delivered');
      return false;
    }
  }

  postToThread(threadKey: string, text: string): Promise<boolean> {
    return postInConversation(this.client.rest, threadKey, text, this.log);
  }

  /**
   * Runs a turn this adapter queued, here or on another bot process: the message and where to answer
   * come from the job alone, and everything is posted through REST (or the interaction's webhook), so
   * it does not matter which process's shard has the guild.
   */
  runJob(job: TurnJob, lease: TurnLease): Promise<void> {
    const running = this.run(job, lease);
    // stop() waits for it before disconnecting; the queue gets its failure.
    const tracked = running.catch(() => undefined);
    this.jobs.add(tracked);
    void tracked.then(() => this.jobs.delete(tracked));
    return running;
  }

  /** Until no job runs here, or `deadline`: a job that ends lets an in-process queue start the next of its thread a moment later. */
  private async jobsEnded(deadline: number): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      const left = deadline - Date.now();
      if (this.jobs.size === 0 || left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.jobs]), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
  }

  private listen(): void {
    this.client.on(Events.MessageCreate, (message) => {
      const accepting = this.onMessage(message);
      if (accepting) this.turns.track(accepting);
    });
    this.client.on(Events.InteractionCreate, (interaction) => this.turns.track(this.onInteraction(interaction)));
    // Reconnecting and resuming are discord.js's job; GatewayConnection logs when a shard drops and comes back.
    this.client.on(Events.ShardError, (error, shard) => this.log.error({ shard, err: error }, 'gateway error'));
    this.client.on(Events.Error, (error) => this.log.error({ err: error }, 'discord.js error'));
    this.client.on(Events.Warn, (message) => this.log.warn({ detail: message }, 'discord.js warning'));
  }

  private async registerCommands(): Promise<void> {
    const guildId = this.options.settings.guildId;
    try {
      // One bulk overwrite: commands removed from the code disappear from Discord too.
      const commands = this.client.application!.commands;
      await (guildId ? commands.set(commandDefinitions(), guildId) : commands.set(commandDefinitions()));
      this.log.info({ scope: guildId ? `guild ${guildId}` : 'global' }, 'slash commands registered');
    } catch (error) {
      this.log.error({ err: error, hint: hintFor(error) }, 'slash commands could not be registered; mentions and DMs still work');
    }
  }

  /**
   * Is it for me → may they → which thread → into the queue. The message takes its place in its
   * thread's line as it arrives (before anything is awaited, unless deciding needs a lookup; then
   * still in the order its channel's messages arrived); starting a thread and answering come when the
   * queue runs it.
   */
  private onMessage(message: Message): Promise<void> | undefined {
    const botId = this.client.user?.id;
    if (this.stopping || !botId) return undefined;
    const decision = routeMessage(message, botId, this.memory);
    if (!decision) return undefined;
    return this.arrivals.next(message.channelId, decision, (route) => (route ? this.accept(message, route, botId) : Promise.resolve()));
  }

  private accept(message: Message, route: Route, botId: string): Promise<void> {
    const asker = messageAsker(message, route);
    // Here, before any thread or typing, so a refused person leaves no trace in the channel. Admission
    // is decided without awaiting, so an admitted message still reaches the queue before any later one.
    if (!this.options.engine.admits(asker)) return this.refuse(message, asker);
    const text = questionText(message, botId);
    const files = attachmentsOf(message);
    if (!text && files.length === 0) return Promise.resolve();
    // Discord gives a thread started on a message that message's id, so the key is the same whether
    // the thread was started or not: a question answered by reply keeps its history if asked again
    // after someone opened its thread (160004).
    const threadKey = route.kind === 'new-thread' ? guildThreadKey(route.guildId, message.channelId, message.id) : route.threadKey;
    const turn: DiscordTurn = {
      guildId: message.guildId,
      channelId: message.channelId,
      messageId: message.id,
      asker,
      authorName: message.member?.displayName ?? message.author.displayName,
      text,
      files,
      answer: answerPlace(message, route),
    };
    return this.enqueue(threadKey, turn).catch(async () => {
      await message.reply({ content: NOT_QUEUED_TEXT, allowedMentions: { parse: [], repliedUser: false } }).catch(() => undefined);
    });
  }

  /** A message from someone the bot does not admit: at most one short notice (see ConversationEngine.checkAccess). */
  private async refuse(message: Message, asker: Asker): Promise<void> {
    const access = await this.options.engine.checkAccess(asker);
    if (!access.allowed && access.notice) await tellRefused(message, access.notice, this.log.child({ user: asker.userId }));
  }

  /** Puts the turn in the queue; rejects (logged here) when the queue cannot take it. */
  private async enqueue(threadKey: string, turn: DiscordTurn): Promise<void> {
    const job = turnJob(threadKey, turn);
    try {
      // Called before anything else is awaited: the job takes its place in the thread's line now.
      const queued = await this.options.queue.enqueue(job);
      if (queued === 'duplicate') this.log.info({ threadKey, job: job.id }, 'Discord sent this again; its turn is already queued');
    } catch (error) {
      this.log.error({ err: error, threadKey, job: job.id }, 'turn could not be queued');
      throw error;
    }
  }

  /** Where to answer → (a thread started, a forum post joined) → the engine, its output there. */
  private async run(job: TurnJob, lease: TurnLease): Promise<void> {
    const turn = readTurn(job);
    const { threadKey } = job;
    // One process alone: nobody else will answer what it queued, and it is about to go.
    const leaving = this.stopping !== undefined && this.options.queue.kind === 'in-process';
    const surface = turn.answer.kind === 'interaction' ? new InteractionSurface(this.client.rest, turn.answer) : new ChannelSurface(this.client.rest, await this.targetFor(threadKey, turn, lease, leaving));
    // An interaction's own message is edited again by this run; channel messages would stay twice.
    const channel = surface instanceof ChannelSurface;
    if (channel) await this.removeEarlierReplies(surface, lease, threadKey);
    const reply = this.replyIn(surface, threadKey, turn.asker.userId, channel ? lease : undefined);
    try {
      if (leaving) return await reply.emit({ type: 'answer', text: STOPPING_TEXT, images: [] });
      if (turn.answer.kind === 'forum-post') await this.memory.joinPost(turn.channelId);
      const question = turn.prompt ? await this.promptQuestion(turn, reply) : { text: turn.text, files: incomingFiles(turn.files) };
      if (!question) return;
      await this.options.engine.handle({ threadKey, asker: turn.asker, authorName: turn.authorName, ...question }, reply, lease);
    } finally {
      reply.dispose();
    }
  }

  /** A queued `/prompt`, filled in now; undefined when it cannot be, the reply having said why. */
  private async promptQuestion(turn: DiscordTurn, reply: DiscordReply): Promise<Pick<IncomingMessage, 'text' | 'files'> | undefined> {
    try {
      return await this.prompt.question(turn.asker, turn.prompt!);
    } catch (error) {
      if (!(error instanceof PromptError)) throw error;
      await reply.emit({ type: 'answer', text: error.message, images: [] });
      return undefined;
    }
  }

  /**
   * Where the answer goes: the thread it was asked in, a new thread on the question, or a reply to it.
   * `leaving`: only to say the bot is restarting, which starts no thread.
   */
  private async targetFor(threadKey: string, turn: DiscordTurn, lease: TurnLease, leaving: boolean): Promise<ChannelTarget> {
    const { channelId, messageId, answer } = turn;
    if (answer.kind === 'reply' || (answer.kind === 'new-thread' && leaving)) return { channelId, replyTo: messageId };
    if (answer.kind !== 'new-thread') return { channelId };
    try {
      const name = threadName(turn.text, `Question from ${turn.authorName}`);
      const thread = (await this.client.rest.post(Routes.threads(channelId, messageId), { body: { name, auto_archive_duration: ThreadAutoArchiveDuration.OneDay } })) as APIThreadChannel;
      return { channelId: thread.id };
    } catch (error) {
      // A run that takes over from a process that stopped finds the thread that one started: it has the message's id.
      if (lease.attempt > 1 && error instanceof DiscordAPIError && error.code === THREAD_ALREADY_STARTED) return { channelId: messageId };
      // No permission, a thread already on the message (160004), or a channel type without threads (voice, stage).
      this.log.warn({ threadKey, channelType: ChannelType[answer.channelType], err: error, hint: hintFor(error) }, 'could not start a thread; replying to the message instead');
      return { channelId, replyTo: messageId };
    }
  }

  /**
   * A turn's output on `surface`; every message it posts is remembered as part of `threadKey`, so a
   * Discord reply to it continues there. What only the asker (`userId`) may see goes to their DM.
   * `lease`: where another process may take the turn over, each message posted is recorded with it,
   * so that process can remove it.
   */
  private replyIn(surface: MessageSurface, threadKey: string, userId: string, lease?: TurnLease): DiscordReply {
    const log = this.log.child({ threadKey });
    const onPosted = (messageId: string) => void this.memory.rememberAnswer(messageId, threadKey).catch((error: unknown) => log.warn({ err: error }, 'could not remember which conversation a message belongs to'));
    const shared = lease?.mayBeTakenOver ? lease : undefined;
    const recording = shared ? { recordPosted: (messageId: string) => shared.replyStarted({ messageId }).catch((error: unknown) => log.warn({ err: error }, 'posted message not recorded for a take-over')) } : {};
    const directMessage = (content: string) => sendDirectMessage(this.client.rest, userId, content);
    return new DiscordReply({ surface, directMessage, pacing: this.pacing, log, onPosted, ...recording });
  }

  /**
   * A take-over of a turn whose process stopped: what it had posted of the answer would stay, cut
   * off or whole, above the new one, so it is removed when this run answers again (kept when the
   * thread is told the turn was interrupted: it shows what was done).
   */
  private async removeEarlierReplies(surface: MessageSurface, lease: TurnLease, threadKey: string): Promise<void> {
    if (lease.interruptedTool && lease.savedAnswer === undefined) return;
    for (const { messageId } of lease.earlierReplies as { messageId: string }[]) {
      await surface.delete(messageId).catch((error: unknown) => this.log.warn({ err: error, threadKey, messageId }, 'the answer of the stopped process could not be removed'));
    }
  }

  /** Buttons and forms of the questions turns ask (confirmations, servers' forms); undefined for anything else. */
  private answerToQuestion(interaction: Interaction): Promise<void> | undefined {
    const { engine } = this.options;
    if (interaction.isButton() && isConfirmationButton(interaction)) return onConfirmationButton(interaction, engine, this.log);
    if (interaction.isButton() && isTaskCancelButton(interaction)) return onTaskCancelButton(interaction, engine, this.log);
    if (interaction.isButton() && isElicitationInteraction(interaction.customId)) return onElicitationButton(interaction, engine, this.log);
    if (interaction.isModalSubmit() && isElicitationInteraction(interaction.customId)) return onElicitationSubmit(interaction, engine, this.log);
    return undefined;
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    if (interaction.isAutocomplete()) return (interaction.commandName === 'prompt' ? this.prompt : this.commands).autocomplete(interaction, interactionAsker(interaction));
    const answering = this.answerToQuestion(interaction);
    if (answering) return answering.catch((error: unknown) => this.log.error({ err: error, hint: hintFor(error) }, 'answer to a question could not be taken'));
    if (interaction.isModalSubmit() && isPromptForm(interaction.customId)) {
      return this.prompt.submit(interaction, interactionAsker(interaction)).catch((error: unknown) => this.log.error({ err: error, hint: hintFor(error) }, 'prompt form could not be taken'));
    }
    if (!interaction.isChatInputCommand()) return;
    try {
      if (interaction.commandName === 'ask') return await this.ask.run(interaction, interactionAsker(interaction));
      if (interaction.commandName === 'prompt') return await this.prompt.run(interaction, interactionAsker(interaction));
      await this.commands.run(interaction, interactionAsker(interaction));
    } catch (error) {
      this.log.error({ err: error, command: interaction.commandName, hint: hintFor(error) }, 'slash command failed');
      const reply = { content: 'Sorry, that command failed. Please try again.' };
      await (interaction.deferred || interaction.replied ? interaction.editReply(reply) : interaction.reply({ ...reply, flags: MessageFlags.Ephemeral })).catch(() => undefined);
    }
  }
}

/** Where the answer to a message goes, as a job carries it. */
function answerPlace(message: Message, route: Route): DiscordTurn['answer'] {
  if (route.kind === 'new-thread') return { kind: 'new-thread', channelType: message.channel.type };
  if (route.kind === 'reply') return { kind: 'reply' };
  return { kind: route.kind === 'thread' && route.forumPost ? 'forum-post' : 'here' };
}
