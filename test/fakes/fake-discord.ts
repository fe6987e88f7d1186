import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { listenOnLoopback, readBody } from '../helpers/loopback-server.js';
import { Recorder } from '../helpers/recorder.js';

export interface RestCall {
  method: string;
  /** Path after /api/v10, e.g. /channels/123/messages */
  path: string;
  query: URLSearchParams;
  // What the bot sent: JSON, or the payload_json of a multipart upload.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** Names of files attached in a multipart upload. */
  files: string[];
  at: number;
  status: number;
  /** What the fake answered, e.g. the created message with its id. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  response: any;
}

export interface GatewaySend {
  op: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  d: any;
}

interface Failure {
  method: string;
  path: RegExp;
  /** Only calls whose body and attached files this accepts fail; by default every matching call. */
  when?: (call: { body: unknown; files: string[] }) => boolean;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  times: number;
}

export const BOT = { id: '1000000000000000001', username: 'mcpbot', discriminator: '0', global_name: 'MCP Bot', bot: true, avatar: null };
export const APPLICATION_ID = '1000000000000000002';
export const GUILD_ID = '1000000000000000003';
export const CHANNEL_ID = '1000000000000000004';
export const ROLE_ID = '1000000000000000005';
/** The role Discord creates for the bot; people sometimes mention it instead of the bot's user. */
export const BOT_ROLE_ID = '1000000000000000006';
/** A thread a person started in #general; the bot only answers there when mentioned. */
export const USER_THREAD_ID = '1000000000000000007';
/** A forum channel (type 15): people start posts (threads) in it and may call the bot into one. */
export const FORUM_ID = '1000000000000000008';
/** A guild that added the bot's app to someone's account only (user install): the bot is not a member there. */
export const FOREIGN_GUILD_ID = '1000000000000000009';
export const USER = { id: '1000000000000000010', username: 'ada', discriminator: '0', global_name: 'Ada', avatar: null };
export const OTHER_USER = { id: '1000000000000000011', username: 'grace', discriminator: '0', global_name: 'Grace', avatar: null };
/** Someone in the guild whom access lists leave out. */
export const STRANGER = { id: '1000000000000000012', username: 'mallory', discriminator: '0', global_name: 'Mallory', avatar: null };
/**
 * A second guild the bot is in, with one text channel. With two shards it is on shard 0 and GUILD_ID on
 * shard 1: a guild's shard is `(guild_id >> 22) % count`.
 */
export const SECOND_GUILD_ID = '1000000000004194400';
export const SECOND_CHANNEL_ID = '1000000000004194401';

/** The gateway shard Discord sends a guild's events on; DMs (no guild) go to shard 0. */
export function shardOf(guildId: string | undefined, count: number): number {
  return guildId === undefined ? 0 : Number((BigInt(guildId) >> 22n) % BigInt(count));
}

type User = typeof USER & { bot?: boolean };

/** A file a person attaches to a message; the fake serves its bytes at the attachment's URL. */
export interface FakeFile {
  name: string;
  contentType?: string;
  data: Buffer;
}

/** Where an interaction comes from: Discord's `context` (0 guild, 1 the bot's DM, 2 another DM or group DM) and who installed the app. */
export interface InteractionPlace {
  context?: 0 | 1 | 2;
  /** `user`: the app is on the person's account (user install); `guild`: on the server. */
  installedBy?: 'guild' | 'user';
}

const DISCORD_EPOCH = 1_420_070_400_000n;
let lastSnowflake = 0n;
/** A new id that holds the time it was made, as Discord's do (so a message's id says when it was sent); always greater than the last. */
export function snowflake(): string {
  const now = (BigInt(Date.now()) - DISCORD_EPOCH) << 22n;
  lastSnowflake = now > lastSnowflake ? now : lastSnowflake + 1n;
  return lastSnowflake.toString();
}

/** `announced`: sent in GUILD_CREATE, as Discord does for active threads. */
type Thread = { id: string; guild_id: string; parent_id: string; owner_id: string; name: string; announced: boolean };

/** One client's gateway connection: the shard it identified as (none before IDENTIFY) and its own event sequence. */
interface GatewaySession {
  shard: [number, number] | undefined;
  sequence: number;
}

/** The guilds the bot is in, and the guild of each of their channels. */
const GUILDS = [GUILD_ID, SECOND_GUILD_ID];
const CHANNEL_GUILDS = new Map([
  [CHANNEL_ID, GUILD_ID],
  [FORUM_ID, GUILD_ID],
  [SECOND_CHANNEL_ID, SECOND_GUILD_ID],
]);

export interface FakeDiscordOptions {
  /** How many shards `GET /gateway/bot` recommends; each connection gets the events of its own shard's guilds. */
  shards?: number;
}

/** Enough of multipart/form-data for discord.js uploads: the payload_json part and file names. */
function parseMultipart(raw: Buffer, contentType: string): { body: unknown; files: string[] } {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const marker = `--${boundary?.[1] ?? boundary?.[2] ?? ''}`;
  let body: unknown;
  const files: string[] = [];
  for (const part of raw.toString('latin1').split(marker)) {
    const [head = '', ...rest] = part.split('\r\n\r\n');
    const name = /name="([^"]+)"/.exec(head)?.[1];
    const filename = /filename="([^"]+)"/.exec(head)?.[1];
    if (filename) files.push(filename);
    else if (name === 'payload_json') body = JSON.parse(Buffer.from(rest.join('\r\n\r\n').replace(/\r\n$/, ''), 'latin1').toString('utf8'));
  }
  return { body, files };
}

/** A modal's submitted values as labelled components: a string is what a text input holds, a list what a select menu has picked. */
function modalComponents(values: Record<string, string | string[]>): Record<string, unknown>[] {
  return Object.entries(values).map(([inputId, value], index) => ({
    type: 18,
    id: index + 1,
    component: Array.isArray(value) ? { type: 3, custom_id: inputId, values: value } : { type: 4, custom_id: inputId, value },
  }));
}

/**
 * A local Discord for the real discord.js client: the gateway over WebSocket and a REST API that
 * records every call, answers with plausible objects, and can be told to fail.
 */
export class FakeDiscord {
  readonly rest = new Recorder<RestCall>();
  readonly gatewaySends = new Recorder<GatewaySend>();
  /** Answers a bot's IDENTIFY by closing the gateway with this code (4004 bad token, 4014 disallowed intents). */
  identifyCloseCode: number | undefined;
  /** Refuses the bot's token on REST, as Discord does a reset or mistyped one. */
  tokenRefused = false;
  /** Keeps READY back after IDENTIFY until `releaseReady()`, as a slow or struggling gateway does. */
  holdReady = false;
  private heldReady: WebSocket | undefined;
  /** Set by `dropGateway`: every new gateway connection is closed at once, as during an outage. */
  private gatewayDown = false;
  /** When a client closed its gateway connection. */
  readonly disconnects = new Recorder<{ at: number }>();
  private readonly failures: Failure[] = [];
  private readonly bucketLimits: { method: string; path: RegExp; headers: Record<string, string> }[] = [];
  private readonly sockets = new Map<WebSocket, GatewaySession>();
  /** Every event sent to a client, with the shard of the connection it went to. */
  readonly deliveries = new Recorder<{ event: string; shard: number; data: Record<string, unknown> }>();
  /** Requests answered only after a delay: the next call matching each. */
  private readonly delays: { method: string; path: RegExp; ms: number }[] = [];
  private closeServer: (() => Promise<void>) | undefined;
  /** Messages people sent, by id, so one can be sent again. */
  private readonly userMessages = new Map<string, Record<string, unknown>>();
  /** Messages the bot posted, by id, so edits return the full message. */
  private readonly messages = new Map<string, Record<string, unknown>>();
  private readonly threads = new Map<string, Thread>([[USER_THREAD_ID, { id: USER_THREAD_ID, guild_id: GUILD_ID, parent_id: CHANNEL_ID, owner_id: USER.id, name: 'a person’s thread', announced: true }]]);
  private readonly dmChannels = new Set<string>();
  /** Bytes of attached files by URL path, and each download of one. */
  private readonly files = new Map<string, Buffer>();
  readonly downloads = new Recorder<{ path: string; at: number }>();
  /** The message an interaction's deferred reply became, and the channel it was used in, by interaction token. */
  private readonly originals = new Map<string, string>();
  private readonly interactionChannels = new Map<string, string>();
  port = 0;

  private constructor(readonly shardCount: number) {}

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options.shards ?? 1);
    await fake.listen();
    return fake;
  }

  /** Base for DISCORD_API_URL. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** Makes the next `times` calls matching method, path (and `when`, if given) fail with the given status and body. */
  failNext(method: string, path: RegExp, status: number, body: unknown, options: { times?: number; headers?: Record<string, string>; when?: Failure['when'] } = {}): void {
    this.failures.push({ method, path, status, body, headers: options.headers, when: options.when, times: options.times ?? 1 });
  }

  /**
   * Answers the next call matching method and path as usual, with headers saying its rate-limit
   * bucket is now empty for `resetAfterS` seconds, as Discord does on the last request a bucket allows.
   */
  emptyBucketAfterNext(method: string, path: RegExp, resetAfterS: number): void {
    this.bucketLimits.push({ method, path, headers: { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': String(resetAfterS), 'x-ratelimit-bucket': 'fake-bucket' } });
  }

  /** Answers the next call matching method and path only after `ms`, as a slow Discord does. */
  delayNext(method: string, path: RegExp, ms: number): void {
    this.delays.push({ method, path, ms });
  }

  calls(method: string, path: RegExp): RestCall[] {
    return this.rest.filter((call) => call.method === method && path.test(call.path));
  }

  waitForCall(method: string, path: RegExp, predicate: (call: RestCall) => boolean = () => true, timeoutMs = 10_000): Promise<RestCall> {
    return this.rest.waitFor((call) => call.method === method && path.test(call.path) && predicate(call), { timeoutMs, what: `${method} ${path}` });
  }

  /** A user's message in a guild channel or thread, mentioning the bot (as a user, by default, or by its role) or not. */
  guildMessage(
    content: string,
    options: {
      mention?: 'user' | 'role' | 'none';
      author?: User;
      nick?: string;
      roles?: string[];
      channelId?: string;
      /** The guild of `channelId`; that of the channel or thread when not given. */
      guildId?: string;
      type?: number;
      webhookId?: string;
      /** A Discord reply to this message (one the bot posted); `ping` notifies its author, as the client's @ON toggle does. */
      replyTo?: string;
      ping?: boolean;
      files?: FakeFile[];
    } = {},
  ): string {
    const mention = options.mention ?? 'user';
    const prefix = { user: `<@${BOT.id}> `, role: `<@&${BOT_ROLE_ID}> `, none: '' }[mention];
    const channelId = options.channelId ?? CHANNEL_ID;
    // A reply's ping puts the replied-to author in `mentions` without a <@id> in the text.
    const mentions = mention === 'user' || options.ping ? [BOT] : [];
    return this.dispatchMessage({
      channel_id: channelId,
      guild_id: options.guildId ?? this.guildOf(channelId) ?? GUILD_ID,
      content: `${prefix}${content}`,
      author: options.author ?? USER,
      mentions,
      mention_roles: mention === 'role' ? [BOT_ROLE_ID] : [],
      member: { roles: options.roles ?? [], nick: options.nick ?? null, joined_at: new Date().toISOString(), deaf: false, mute: false },
      type: options.type ?? (options.replyTo ? 19 : 0),
      attachments: this.attach(channelId, options.files ?? []),
      ...(options.webhookId ? { webhook_id: options.webhookId } : {}),
      ...(options.replyTo ? this.replyFields(options.replyTo) : {}),
    });
  }

  /**
   * A member starting a post in the forum: Discord creates the thread (type 11, parent the forum, owned
   * by the member) and its starter message, which has the thread's id. Returns the post's id.
   */
  forumPost(title: string, content: string, options: { mention?: boolean } = {}): string {
    const id = snowflake();
    this.threads.set(id, { id, guild_id: GUILD_ID, parent_id: FORUM_ID, owner_id: USER.id, name: title, announced: true });
    this.dispatch('THREAD_CREATE', { ...this.threadObject(this.threads.get(id)!), newly_created: true });
    const mention = options.mention ?? true;
    this.dispatch('MESSAGE_CREATE', {
      ...this.messageDefaults(id),
      id,
      guild_id: GUILD_ID,
      content: `${mention ? `<@${BOT.id}> ` : ''}${content}`,
      author: USER,
      mentions: mention ? [BOT] : [],
      member: { roles: [], nick: null, joined_at: new Date().toISOString(), deaf: false, mute: false },
      type: 0,
    });
    return id;
  }

  /** A thread the bot started that was not active when discord.js connected, so only REST tells who owns it. */
  unannouncedBotThread(): string {
    const id = snowflake();
    this.threads.set(id, { id, guild_id: GUILD_ID, parent_id: CHANNEL_ID, owner_id: BOT.id, name: 'an older question', announced: false });
    return id;
  }

  /** Tells the bot about a thread it was not told about (THREAD_UPDATE), as Discord does when someone brings back an archived one. */
  announceThread(threadId: string): void {
    const thread = this.threads.get(threadId);
    if (!thread) throw new Error(`the fake has no thread ${threadId}`);
    thread.announced = true;
    this.dispatch('THREAD_UPDATE', this.threadObject(thread));
  }

  /** Sends a person's message again, as Discord replays events when a session resumes. */
  replayMessage(messageId: string): void {
    const message = this.userMessages.get(messageId);
    if (!message) throw new Error(`no person sent a message ${messageId}`);
    this.dispatch('MESSAGE_CREATE', message);
  }

  /** A direct message to the bot. */
  directMessage(content: string, channelId = '1000000000000000020', author = USER, files: FakeFile[] = []): string {
    this.dmChannels.add(channelId);
    return this.dispatchMessage({ channel_id: channelId, content, author, mentions: [], type: 0, attachments: this.attach(channelId, files) });
  }

  /** The text of a message the bot posted, with its latest edit. */
  messageContent(messageId: string): string {
    return String(this.messages.get(messageId)?.content ?? '');
  }

  /** A slash command or (type 4) autocomplete request. */
  interaction(name: string, options: { type?: number; channelId?: string; guild?: boolean; guildId?: string; options?: Record<string, unknown>[]; user?: User; roles?: string[] } & InteractionPlace = {}): { id: string; token: string } {
    return this.dispatchInteraction({ type: options.type ?? 2, data: { id: snowflake(), name, type: 1, options: options.options ?? [] } }, options);
  }

  /** Someone pressing a button on a message the bot posted. */
  pressButton(messageId: string, customId: string, options: { user?: User; roles?: string[] } = {}): { id: string; token: string } {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`the bot posted no message ${messageId}`);
    const channelId = String(message.channel_id);
    return this.dispatchInteraction({ type: 3, message, data: { custom_id: customId, component_type: 2 } }, { ...options, channelId, guild: !this.dmChannels.has(channelId) });
  }

  /**
   * Someone submitting a form (modal) the bot opened from a button on one of its messages, as labelled
   * components: a string is what a text input holds, a list what a select menu has picked.
   */
  submitModal(messageId: string, customId: string, values: Record<string, string | string[]>, options: { user?: User } = {}): { id: string; token: string } {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`the bot posted no message ${messageId}`);
    const channelId = String(message.channel_id);
    return this.dispatchInteraction({ type: 5, message, data: { custom_id: customId, components: modalComponents(values) } }, { ...options, channelId, guild: !this.dmChannels.has(channelId) });
  }

  /** Someone submitting a form (modal) the bot opened in answer to a slash command: no message behind it. */
  submitCommandModal(customId: string, values: Record<string, string | string[]>, options: { channelId?: string; user?: User } = {}): { id: string; token: string } {
    const channelId = options.channelId ?? CHANNEL_ID;
    return this.dispatchInteraction({ type: 5, data: { custom_id: customId, components: modalComponents(values) } }, { ...options, channelId, guild: !this.dmChannels.has(channelId) });
  }

  /** The DM channel Discord opens between the bot and a user. */
  dmChannelOf(userId: string): string {
    return `2${userId.slice(1)}`;
  }

  private dispatchInteraction(fields: Record<string, unknown>, options: { channelId?: string; guild?: boolean; guildId?: string; user?: User; roles?: string[] } & InteractionPlace): { id: string; token: string } {
    const id = snowflake();
    const token = `token-${id}`;
    const guild = options.guild ?? true;
    const channelId = options.channelId ?? CHANNEL_ID;
    const guildId = options.guildId ?? this.guildOf(channelId) ?? GUILD_ID;
    const context = options.context ?? (guild ? 0 : this.dmChannels.has(channelId) ? 1 : 2);
    // 1 the bot's DM, 3 a group DM; another person's DM is type 1 too, with them as recipient.
    const channelType = guild ? this.channelType(channelId) : context === 1 ? 1 : 3;
    const user = options.user ?? USER;
    const installedBy = options.installedBy ?? 'guild';
    this.interactionChannels.set(token, channelId);
    this.dispatch('INTERACTION_CREATE', {
      id,
      application_id: APPLICATION_ID,
      token,
      version: 1,
      locale: 'en-US',
      app_permissions: '2248473465835073',
      entitlements: [],
      authorizing_integration_owners: installedBy === 'user' ? { '1': user.id } : guild ? { '0': guildId } : { '1': user.id },
      context,
      channel_id: channelId,
      channel: { id: channelId, type: channelType, ...(guild ? { guild_id: guildId, parent_id: this.threads.get(channelId)?.parent_id } : {}) },
      ...fields,
      ...(guild ? { guild_id: guildId, member: { user, roles: options.roles ?? [], permissions: '2248473465835073', joined_at: new Date().toISOString(), deaf: false, mute: false } } : { user }),
    });
    return { id, token };
  }

  /** The fields Discord gives a reply: the reference and, whole, the message replied to. */
  private replyFields(messageId: string): Record<string, unknown> {
    const replied = this.messages.get(messageId);
    if (!replied) throw new Error(`the bot posted no message ${messageId}`);
    return { message_reference: { type: 0, message_id: messageId, channel_id: replied.channel_id, guild_id: replied.guild_id }, referenced_message: replied };
  }

  /** Attachment objects as Discord sends them, each file served from the fake at its URL. */
  private attach(channelId: string, files: FakeFile[]): Record<string, unknown>[] {
    return files.map((file) => {
      const id = snowflake();
      const urlPath = `/attachments/${channelId}/${id}/${encodeURIComponent(file.name)}`;
      this.files.set(urlPath, file.data);
      const url = `http://127.0.0.1:${this.port}${urlPath}?ex=0&is=0&hm=0`;
      return { id, filename: file.name, size: file.data.length, url, proxy_url: url, ...(file.contentType ? { content_type: file.contentType } : {}) };
    });
  }

  /** Sends the READY kept back by `holdReady`. */
  releaseReady(): void {
    const socket = this.heldReady;
    this.heldReady = undefined;
    this.holdReady = false;
    if (socket) this.sendReady(socket);
  }

  /** Closes the bot's gateway connections and refuses new ones, as an outage does (1001: going away). */
  dropGateway(): void {
    this.gatewayDown = true;
    for (const socket of this.sockets.keys()) socket.close(1001, 'going away');
  }

  /** Ends the outage `dropGateway` began: new connections are let in again and may resume their session. */
  restoreGateway(): void {
    this.gatewayDown = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets.keys()) socket.terminate();
    await this.closeServer?.();
  }

  /** 0 a text channel, 1 a DM, 11 a public thread (forum posts too): discord.js needs it to build a channel it has not cached. */
  private channelType(channelId: string): number {
    if (this.threads.has(channelId)) return 11;
    return this.dmChannels.has(channelId) ? 1 : 0;
  }

  /** The guild a channel or thread is in; undefined for a DM or a channel the fake does not know (a foreign guild's). */
  private guildOf(channelId: string): string | undefined {
    return this.threads.get(channelId)?.guild_id ?? CHANNEL_GUILDS.get(channelId);
  }

  private threadObject({ announced: _announced, ...thread }: Thread) {
    return {
      ...thread,
      type: 11,
      thread_metadata: { archived: false, auto_archive_duration: 1440, locked: false, archive_timestamp: new Date().toISOString() },
      message_count: 0,
      member_count: 1,
      rate_limit_per_user: 0,
    };
  }

  private messageDefaults(channelId: string) {
    return {
      channel_id: channelId,
      channel_type: this.channelType(channelId),
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      flags: 0,
      components: [],
    };
  }

  private dispatchMessage(fields: Record<string, unknown> & { channel_id: string }): string {
    const id = snowflake();
    const message = { id, ...this.messageDefaults(fields.channel_id), ...fields };
    this.userMessages.set(id, message);
    this.dispatch('MESSAGE_CREATE', message);
    return id;
  }

  /** Sends an event on the connection of the shard it belongs to: its guild's, or shard 0 without a guild (DMs). */
  private dispatch(event: string, data: Record<string, unknown>): void {
    const guildId = typeof data.guild_id === 'string' ? data.guild_id : undefined;
    for (const [socket, session] of this.sockets) {
      if (!session.shard || session.shard[0] !== shardOf(guildId, session.shard[1])) continue;
      this.send(socket, event, data);
    }
  }

  private send(socket: WebSocket, event: string, data: Record<string, unknown>): void {
    const session = this.sockets.get(socket);
    if (!session) return;
    session.sequence += 1;
    socket.send(JSON.stringify({ op: 0, t: event, s: session.sequence, d: data }));
    this.deliveries.push({ event, shard: session.shard?.[0] ?? 0, data });
  }

  private guildCreate(guildId: string) {
    if (guildId !== GUILD_ID) return this.secondGuildCreate(guildId);
    return {
      id: GUILD_ID,
      name: 'Test Guild',
      owner_id: USER.id,
      icon: null,
      features: [],
      unavailable: false,
      member_count: 3,
      large: false,
      joined_at: new Date().toISOString(),
      roles: [
        { id: GUILD_ID, name: '@everyone', permissions: '2248473465835073', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
        { id: ROLE_ID, name: 'engineers', permissions: '0', position: 1, color: 0, hoist: false, managed: false, mentionable: true, flags: 0 },
        { id: BOT_ROLE_ID, name: 'mcpbot', permissions: '0', position: 2, color: 0, hoist: false, managed: true, mentionable: true, flags: 0, tags: { bot_id: BOT.id } },
      ],
      channels: [
        { id: CHANNEL_ID, type: 0, name: 'general', guild_id: GUILD_ID, position: 0, permission_overwrites: [] },
        { id: FORUM_ID, type: 15, name: 'help', guild_id: GUILD_ID, position: 1, permission_overwrites: [], available_tags: [], default_reaction_emoji: null, default_sort_order: null, default_forum_layout: 0 },
      ],
      threads: [...this.threads.values()].filter((thread) => thread.announced && thread.guild_id === GUILD_ID).map((thread) => this.threadObject(thread)),
      members: [
        { user: BOT, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false },
        { user: USER, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false },
        { user: OTHER_USER, roles: [ROLE_ID], joined_at: new Date().toISOString(), deaf: false, mute: false },
        { user: STRANGER, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false },
      ],
      emojis: [],
      stickers: [],
      voice_states: [],
      presences: [],
    };
  }

  private secondGuildCreate(guildId: string) {
    const joinedAt = new Date().toISOString();
    return {
      id: guildId,
      name: 'Second Guild',
      owner_id: OTHER_USER.id,
      icon: null,
      features: [],
      unavailable: false,
      member_count: 2,
      large: false,
      joined_at: joinedAt,
      roles: [{ id: guildId, name: '@everyone', permissions: '2248473465835073', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
      channels: [{ id: SECOND_CHANNEL_ID, type: 0, name: 'lobby', guild_id: guildId, position: 0, permission_overwrites: [] }],
      threads: [...this.threads.values()].filter((thread) => thread.announced && thread.guild_id === guildId).map((thread) => this.threadObject(thread)),
      members: [
        { user: BOT, roles: [], joined_at: joinedAt, deaf: false, mute: false },
        { user: USER, roles: [], joined_at: joinedAt, deaf: false, mute: false },
      ],
      emojis: [],
      stickers: [],
      voice_states: [],
      presences: [],
    };
  }

  private onGatewayMessage(socket: WebSocket, raw: string): void {
    const message = JSON.parse(raw) as GatewaySend;
    this.gatewaySends.push(message);
    if (message.op === 1) socket.send(JSON.stringify({ op: 11, d: null }));
    if (message.op === 2 && this.identifyCloseCode) {
      socket.close(this.identifyCloseCode, 'refused');
      return;
    }
    if (message.op === 2) {
      const session = this.sockets.get(socket);
      // Discord takes a connection without `shard` as the only shard of one.
      if (session) session.shard = Array.isArray(message.d?.shard) ? [Number(message.d.shard[0]), Number(message.d.shard[1])] : [0, 1];
    }
    if (message.op === 2 && this.holdReady) this.heldReady = socket;
    else if (message.op === 2) this.sendReady(socket);
    // RESUME: the fake keeps no missed events to replay, so the session is resumed at once.
    if (message.op === 6) this.sendResumed(socket);
  }

  private sendResumed(socket: WebSocket): void {
    this.send(socket, 'RESUMED', {});
  }

  /** READY and a GUILD_CREATE for each guild of the connection's shard, as Discord sends them. */
  private sendReady(socket: WebSocket): void {
    const [shard, count] = this.sockets.get(socket)?.shard ?? [0, 1];
    const guilds = GUILDS.filter((guildId) => shardOf(guildId, count) === shard);
    this.send(socket, 'READY', {
      v: 10,
      user: BOT,
      guilds: guilds.map((id) => ({ id, unavailable: true })),
      session_id: `fake-session-${shard}`,
      resume_gateway_url: `ws://127.0.0.1:${this.port}`,
      application: { id: APPLICATION_ID, flags: 0 },
      private_channels: [],
      shard: [shard, count],
    });
    for (const guildId of guilds) this.send(socket, 'GUILD_CREATE', this.guildCreate(guildId));
  }

  private answer(method: string, path: string, body: Record<string, unknown> | undefined): { status: number; body?: unknown } {
    let match: RegExpExecArray | null;
    if (method === 'GET' && path === '/gateway/bot') {
      if (this.tokenRefused) return { status: 401, body: { message: '401: Unauthorized', code: 0 } };
      // max_concurrency above the shard count: discord.js then identifies its shards without waiting 5 s between them.
      return { status: 200, body: { url: `ws://127.0.0.1:${this.port}`, shards: this.shardCount, session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 16 } } };
    }
    if ((match = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path)) && method === 'POST') {
      const [, parentId = '', messageId = ''] = match;
      // Discord gives a thread started on a message the message's id.
      this.threads.set(messageId, { id: messageId, guild_id: this.guildOf(parentId) ?? GUILD_ID, parent_id: parentId, owner_id: BOT.id, name: String(body?.name), announced: true });
      const thread = this.threadObject(this.threads.get(messageId)!);
      // Discord announces a new thread on the gateway too; discord.js relies on it for later messages.
      setImmediate(() => this.dispatch('THREAD_CREATE', { ...thread, newly_created: true }));
      return { status: 201, body: thread };
    }
    if ((match = /^\/channels\/(\d+)$/.exec(path)) && method === 'GET') {
      const id = match[1] ?? '';
      const thread = this.threads.get(id);
      if (thread) return { status: 200, body: this.threadObject(thread) };
      const guildId = CHANNEL_GUILDS.get(id);
      const channel = guildId && this.guildCreate(guildId).channels.find((candidate) => candidate.id === id);
      if (channel) return { status: 200, body: channel };
      if (this.dmChannels.has(id)) return { status: 200, body: { id, type: 1, last_message_id: null, recipients: [USER] } };
      return { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
    }
    if ((match = /^\/channels\/(\d+)\/messages$/.exec(path)) && method === 'POST') {
      const channelId = match[1] ?? '';
      const guildId = this.guildOf(channelId);
      const message = { id: snowflake(), channel_id: channelId, ...(guildId ? { guild_id: guildId } : {}), author: BOT, content: body?.content ?? '', timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: body?.embeds ?? [], pinned: false, type: body?.message_reference ? 19 : 0, flags: 0, components: body?.components ?? [] };
      this.messages.set(message.id, message);
      // Like Discord, the bot hears its own messages on the gateway.
      setImmediate(() => this.dispatch('MESSAGE_CREATE', { ...message, channel_type: this.channelType(channelId) }));
      return { status: 200, body: message };
    }
    if ((match = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path)) && method === 'PATCH') {
      const id = match[2] ?? '';
      const message = { ...(this.messages.get(id) ?? { id, channel_id: match[1], author: BOT }), ...body, edited_timestamp: new Date().toISOString() };
      this.messages.set(id, message);
      return { status: 200, body: message };
    }
    if ((match = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path)) && method === 'DELETE') {
      const message = this.messages.get(match[2] ?? '');
      if (!message || message.channel_id !== match[1]) return { status: 404, body: { code: 10008, message: 'Unknown Message' } };
      this.messages.delete(match[2] ?? '');
      return { status: 204 };
    }
    if (/^\/channels\/\d+\/typing$/.test(path)) return { status: 204 };
    if (/^\/channels\/\d+\/messages\/\d+\/reactions\/[^/]+\/@me$/.test(path) && method === 'PUT') return { status: 204 };
    if (path === '/users/@me/channels' && method === 'POST') {
      if (!/^\d{17,20}$/.test(String(body?.recipient_id))) return { status: 400, body: { code: 50035, message: 'Invalid Form Body', errors: { recipient_id: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value is not snowflake.' }] } } } };
      const recipient = [USER, OTHER_USER, STRANGER].find((user) => user.id === body?.recipient_id) ?? { ...STRANGER, id: String(body?.recipient_id), username: 'someone' };
      const id = this.dmChannelOf(recipient.id);
      this.dmChannels.add(id);
      return { status: 200, body: { id, type: 1, last_message_id: null, recipients: [recipient] } };
    }
    if ((match = /^\/applications\/\d+(?:\/guilds\/\d+)?\/commands$/.exec(path)) && method === 'PUT') {
      const commands = (body as unknown as Record<string, unknown>[]) ?? [];
      return { status: 200, body: commands.map((command) => ({ id: snowflake(), application_id: APPLICATION_ID, version: '1', default_member_permissions: null, type: 1, ...command })) };
    }
    if (/^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) return { status: 204 };
    if ((match = /^\/webhooks\/\d+\/([^/]+)(?:\/messages\/(@original|%40original|\d+))?$/.exec(path)) && (method === 'PATCH' || method === 'POST')) {
      return { status: 200, body: this.webhookMessage(method, match[1] ?? '', match[2], body) };
    }
    return { status: 404, body: { message: `fake Discord has no route for ${method} ${path}`, code: 0 } };
  }

  /**
   * An interaction's reply (`@original`, what the deferral became) or a follow-up (POST), kept like the
   * bot's other messages so edits return the whole message and buttons on it can be pressed.
   */
  private webhookMessage(method: string, token: string, target: string | undefined, body: Record<string, unknown> | undefined): Record<string, unknown> {
    const original = target === '@original' || target === '%40original';
    let id = original ? this.originals.get(token) : method === 'PATCH' ? target : undefined;
    if (!id) {
      id = snowflake();
      if (original) this.originals.set(token, id);
    }
    const earlier = this.messages.get(id) ?? { id, channel_id: this.interactionChannels.get(token) ?? CHANNEL_ID, author: BOT, content: '', embeds: [], components: [], timestamp: new Date().toISOString(), tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], pinned: false, type: 20, flags: 0 };
    const message = { ...earlier, ...body, edited_timestamp: method === 'PATCH' ? new Date().toISOString() : null };
    this.messages.set(id, message);
    return message;
  }

  private async listen(): Promise<void> {
    const server = createServer((request, response) => {
      void (async () => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const file = this.files.get(url.pathname);
        if (file) {
          this.downloads.push({ path: url.pathname, at: Date.now() });
          response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.length }).end(file);
          return;
        }
        const path = url.pathname.replace(/^\/api\/v\d+/, '');
        const method = request.method ?? 'GET';
        const raw = await readBody(request);
        const contentType = request.headers['content-type'] ?? '';
        const parsed = contentType.startsWith('multipart/form-data') ? parseMultipart(raw, contentType) : { body: raw.length ? JSON.parse(raw.toString('utf8')) : undefined, files: [] };
        const delay = this.delays.findIndex((candidate) => candidate.method === method && candidate.path.test(path));
        if (delay >= 0) await new Promise((resolve) => setTimeout(resolve, this.delays.splice(delay, 1)[0]!.ms));
        const failure = this.failures.find((candidate) => candidate.method === method && candidate.path.test(path) && candidate.times > 0 && (candidate.when?.(parsed) ?? true));
        const result = failure ? { status: failure.status, body: failure.body } : this.answer(method, path, parsed.body as Record<string, unknown> | undefined);
        if (failure) failure.times -= 1;
        this.rest.push({ method, path, query: url.searchParams, body: parsed.body, files: parsed.files, at: Date.now(), status: result.status, response: result.body });
        if (result.status === 204) {
          // discord.js fails to parse a 204 that carries a body or a JSON content type.
          response.writeHead(204).end();
          return;
        }
        const limit = failure ? -1 : this.bucketLimits.findIndex((candidate) => candidate.method === method && candidate.path.test(path));
        const limitHeaders = limit >= 0 ? this.bucketLimits.splice(limit, 1)[0]?.headers : undefined;
        response.writeHead(result.status, { 'content-type': 'application/json', ...failure?.headers, ...limitHeaders });
        response.end(JSON.stringify(result.body));
      })().catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(error) }));
      });
    });
    const gateway = new WebSocketServer({ server });
    gateway.on('connection', (socket) => {
      if (this.gatewayDown) {
        socket.close(1001, 'going away');
        return;
      }
      this.sockets.set(socket, { shard: undefined, sequence: 0 });
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.disconnects.push({ at: Date.now() });
      });
      socket.on('message', (data) => this.onGatewayMessage(socket, data.toString()));
      socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 } }));
    });
    const listening = await listenOnLoopback(server);
    this.port = listening.port;
    this.closeServer = async () => {
      gateway.close();
      await listening.close();
    };
  }
}
