import { once } from 'node:events';
import type Keyv from 'keyv';
import { ChannelType, Client, Events, GatewayIntentBits, MessageFlags, Partials, ThreadAutoArchiveDuration, type Interaction, type Message } from 'discord.js';
import { ConfigError, type DiscordSettings } from '../../config/index.js';
import type { ConversationEngine } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { InFlightTurns } from '../shared/in-flight.js';
import type { PlatformAdapter } from '../types.js';
import { interactionAsker, messageAsker } from './askers.js';
import { incomingFiles } from './attachments.js';
import { isConfirmationButton, onConfirmationButton } from './confirmation-buttons.js';
import { ConversationMemory } from './conversation-memory.js';
import { isElicitationInteraction, onElicitationButton, onElicitationSubmit } from './elicitation-modal.js';
import { hintFor, loginRefusal } from './discord-failures.js';
import { AskCommand } from './ask-command.js';
import { isPromptForm, PromptCommand } from './prompt-command.js';
import { DiscordReply } from './discord-reply.js';
import { GatewayConnection } from './gateway-connection.js';
import { questionText } from './mentions.js';
import { ChannelSurface, type ChannelTarget, type MessageSurface } from './message-surface.js';
import { guildThreadKey, routeMessage, type Route } from './message-router.js';
import { tellRefused } from './refusal.js';
import { RestPacing } from './rest-pacing.js';
import { commandDefinitions, SlashCommands } from './slash-commands.js';
import { isTaskCancelButton, onTaskCancelButton, postInConversation } from './task-cancel-button.js';
import { threadName } from './thread-name.js';

export interface DiscordAdapterOptions {
  settings: DiscordSettings;
  engine: ConversationEngine;
  /** Shared state: which conversation the bot's messages belong to, and the forum posts it takes part in. */
  kv: Keyv;
  /** How long the bot remembers where a conversation is; the history's lifetime fits. */
  conversationTtlMs?: number;
  logger: Logger;
  /** How long stop() waits for turns in flight. */
  drainTimeoutMs?: number;
}

const DEFAULT_CONVERSATION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The bot on Discord: mentions start threads; threads, forum posts, DMs and replies to its answers are
 * conversations; /ask, /prompt, /tools and /reset.
 */
export class DiscordAdapter implements PlatformAdapter {
  readonly platform = 'discord';
  private readonly client: Client;
  private readonly log: Logger;
  private readonly commands: SlashCommands;
  private readonly turns: InFlightTurns;
  private readonly gateway: GatewayConnection;
  private readonly memory: ConversationMemory;
  private readonly pacing: RestPacing;
  private readonly ask: AskCommand;
  private readonly prompt: PromptCommand;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: DiscordAdapterOptions) {
    this.log = options.logger.child({ platform: 'discord' });
    this.turns = new InFlightTurns(this.log);
    this.commands = new SlashCommands(options.engine, this.log);
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
    this.ask = new AskCommand(options.engine, (surface, threadKey) => this.replyIn(surface, threadKey), this.log);
    this.prompt = new PromptCommand(options.engine, (surface, threadKey) => this.replyIn(surface, threadKey), this.log);
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

  /** Safe to call more than once: later calls wait for the first. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.turns.drain(this.options.drainTimeoutMs ?? 10_000);
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
    return postInConversation(this.client, threadKey, text, this.log);
  }

  private listen(): void {
    this.client.on(Events.MessageCreate, (message) => this.turns.track(this.onMessage(message)));
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

  /** Is it for me → may they → which thread → run the turn there. */
  private async onMessage(message: Message): Promise<void> {
    const botId = this.client.user?.id;
    if (this.stopping || !botId) return;
    const route = await routeMessage(message, botId, this.memory);
    if (!route) return;
    // Discord gives a thread started on a message that message's id, so the key is the same whether
    // the thread was started or not: a question answered by reply keeps its history if asked again
    // after someone opened its thread (160004).
    const threadKey = route.kind === 'new-thread' ? guildThreadKey(route.guildId, message.channelId, message.id) : route.threadKey;
    // Its place in the thread before the round trips below (a thread to start, a forum post to join).
    const place = this.options.engine.reserve(threadKey);
    let handedOver = false;
    try {
      const asker = messageAsker(message, route);
      // Before any thread or typing, so a refused person leaves no trace in the channel.
      const access = this.options.engine.checkAccess(asker);
      if (!access.allowed) {
        if (access.notice) await tellRefused(message, access.notice, this.log.child({ user: asker.userId }));
        return;
      }
      const text = questionText(message, botId);
      const files = incomingFiles(message);
      if (!text && files.length === 0) return;

      const target = await this.targetFor(message, route, threadKey, text);
      if (route.kind === 'thread' && route.forumPost) await this.memory.joinPost(route.forumPost);
      const reply = this.replyIn(new ChannelSurface(target), threadKey);
      try {
        handedOver = true;
        await place.take({ threadKey, asker, authorName: message.member?.displayName ?? message.author.displayName, text, files }, reply);
      } finally {
        reply.dispose();
      }
    } finally {
      if (!handedOver) place.release();
    }
  }

  /** Where the answer goes: the thread it was asked in, a new thread on the question, or a reply to it. */
  private async targetFor(message: Message, route: Route, threadKey: string, text: string): Promise<ChannelTarget> {
    const channel = message.channel as ChannelTarget['channel'];
    if (route.kind === 'reply') return { channel, replyTo: message };
    if (route.kind !== 'new-thread') return { channel };
    try {
      const thread = await message.startThread({ name: threadName(text, `Question from ${message.author.displayName}`), autoArchiveDuration: ThreadAutoArchiveDuration.OneDay });
      return { channel: thread };
    } catch (error) {
      // No permission, a thread already on the message (160004), or a channel type without threads (voice, stage).
      this.log.warn(
        { threadKey, channelType: ChannelType[message.channel.type], err: error, hint: hintFor(error) },
        'could not start a thread; replying to the message instead',
      );
      return { channel, replyTo: message };
    }
  }

  /** A turn's output on `surface`; every message it posts is remembered as part of `threadKey`, so a Discord reply to it continues there. */
  private replyIn(surface: MessageSurface, threadKey: string): DiscordReply {
    const log = this.log.child({ threadKey });
    const onPosted = (messageId: string) =>
      void this.memory.rememberAnswer(messageId, threadKey).catch((error: unknown) => log.warn({ err: error }, 'could not remember which conversation a message belongs to'));
    return new DiscordReply({ surface, pacing: this.pacing, log, onPosted });
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
