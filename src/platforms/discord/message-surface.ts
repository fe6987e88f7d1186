import { MessageFlags, Routes, type APIActionRowComponent, type APIComponentInMessageActionRow, type APIMessage, type REST } from 'discord.js';

/** Follow-ups Discord allows an interaction of an app installed by the user only, not in the server. */
const USER_INSTALL_FOLLOW_UPS = 5;

/** Model output must never ping @everyone, roles or users. */
const NO_PINGS = { parse: [] as [] };

/** What the bot puts in one Discord message: text, buttons, files. */
export interface MessageContent {
  content?: string;
  components?: { toJSON(): APIActionRowComponent<APIComponentInMessageActionRow> }[];
  files?: { name: string; data: Buffer }[];
}

/**
 * Where one turn's messages go, by message id: a channel, thread or DM, or the webhook of an
 * interaction (`/ask`). The renderer needs only these calls; each rejects with discord.js's
 * DiscordAPIError when Discord refuses.
 */
export interface MessageSurface {
  /** Posts a message below the turn's others; resolves with its id. */
  post(message: MessageContent): Promise<string>;
  edit(id: string, message: MessageContent): Promise<void>;
  delete(id: string): Promise<void>;
  /** The REST path an edit of message `id` goes to, for its rate-limit bucket (see RestPacing). Holds a token for interactions: never log it. */
  editPath(id: string): string;
  /** Shows "typing…" for about 10 s; an interaction shows its own "thinking…" instead. */
  typing(): Promise<void>;
  /** How many messages one turn may post here at most; undefined for no limit. */
  readonly maxPosts?: number;
  /**
   * Posts a message only the asker sees (an interaction's ephemeral follow-up); counts as one of
   * `maxPosts`. Absent where everyone in the conversation sees every message. Only once the turn's
   * first message is up: before it, Discord makes a follow-up take the deferred reply's place, public.
   */
  postPrivately?(message: MessageContent): Promise<void>;
}

/** A channel, thread or DM to post in, by id; `replyTo` when the answer replies to the question (a message there) instead. */
export interface ChannelTarget {
  channelId: string;
  replyTo?: string;
}

/** A message as Discord's REST API takes it, and its files as multipart parts. */
function requestOf(message: MessageContent, extra: Record<string, unknown> = {}) {
  const files = message.files ?? [];
  const body = {
    ...(message.content !== undefined ? { content: message.content } : {}),
    ...(message.components ? { components: message.components.map((row) => row.toJSON()) } : {}),
    ...(files.length > 0 ? { attachments: files.map((file, id) => ({ id, filename: file.name })) } : {}),
    allowed_mentions: NO_PINGS,
    ...extra,
  };
  return { body, files: files.map((file, index) => ({ key: `files[${index}]`, name: file.name, data: file.data })) };
}

/**
 * A channel, thread or DM the bot can post in, through Discord's REST API alone: any process can post
 * there, whichever shard receives the channel's guild.
 */
export class ChannelSurface implements MessageSurface {
  constructor(
    private readonly rest: REST,
    private readonly target: ChannelTarget,
  ) {}

  async post(message: MessageContent): Promise<string> {
    const { channelId, replyTo } = this.target;
    // A reply that does not ping its author; posted anyway if the question was deleted meanwhile.
    const reply = replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false }, allowed_mentions: { ...NO_PINGS, replied_user: false } } : {};
    const posted = (await this.rest.post(Routes.channelMessages(channelId), requestOf(message, reply))) as APIMessage;
    return posted.id;
  }

  async edit(id: string, message: MessageContent): Promise<void> {
    await this.rest.patch(Routes.channelMessage(this.target.channelId, id), requestOf(message));
  }

  async delete(id: string): Promise<void> {
    await this.rest.delete(Routes.channelMessage(this.target.channelId, id));
  }

  editPath(id: string): string {
    return `/channels/${this.target.channelId}/messages/${id}`;
  }

  async typing(): Promise<void> {
    await this.rest.post(Routes.channelTyping(this.target.channelId));
  }
}

/** A deferred interaction's webhook: the application and the interaction's token (valid 15 minutes). */
export interface InteractionTarget {
  applicationId: string;
  token: string;
  /** Messages the interaction may post in all; null for no limit. */
  maxPosts: number | null;
}

/**
 * How many messages an interaction may post: "Apps are limited to 5 followup messages per interaction
 * if it was initiated from a user-installed app and isn't installed in the server" (Discord,
 * Receiving and Responding), so the reply and 5 more there; null where the app is installed in the
 * server (`authorizingIntegrationOwners[0]` is set).
 */
export function interactionPostLimit(guildInstalled: boolean): number | null {
  return guildInstalled ? null : USER_INSTALL_FOLLOW_UPS + 1;
}

/**
 * The replies of a deferred interaction: the first message is the deferral's `@original`, later ones
 * follow-ups, all through the interaction's webhook. That is all a user-installed app may post where
 * the bot is not a member, and it works from any process for the token's 15 minutes.
 */
export class InteractionSurface implements MessageSurface {
  private originalUsed = false;
  readonly maxPosts: number | undefined;

  constructor(
    private readonly rest: REST,
    private readonly target: InteractionTarget,
  ) {
    this.maxPosts = target.maxPosts ?? undefined;
  }

  async post(message: MessageContent): Promise<string> {
    const { applicationId, token } = this.target;
    if (this.originalUsed) return ((await this.rest.post(Routes.webhook(applicationId, token), { ...requestOf(message), auth: false })) as APIMessage).id;
    this.originalUsed = true;
    return ((await this.rest.patch(Routes.webhookMessage(applicationId, token, '@original'), { ...requestOf(message), auth: false })) as APIMessage).id;
  }

  async postPrivately(message: MessageContent): Promise<void> {
    if (!this.originalUsed) throw new Error('an ephemeral follow-up before the first reply would take its place, public');
    await this.rest.post(Routes.webhook(this.target.applicationId, this.target.token), { ...requestOf(message, { flags: MessageFlags.Ephemeral }), auth: false });
  }

  async edit(id: string, message: MessageContent): Promise<void> {
    await this.rest.patch(Routes.webhookMessage(this.target.applicationId, this.target.token, id), { ...requestOf(message), auth: false });
  }

  async delete(id: string): Promise<void> {
    await this.rest.delete(Routes.webhookMessage(this.target.applicationId, this.target.token, id), { auth: false });
  }

  editPath(id: string): string {
    return `/webhooks/${this.target.applicationId}/${this.target.token}/messages/${id}`;
  }

  async typing(): Promise<void> {}
}
