import type { BaseMessageOptions, ChatInputCommandInteraction, Message, ModalSubmitInteraction, SendableChannels } from 'discord.js';

/** Follow-ups Discord allows an interaction of an app installed by the user only, not in the server. */
const USER_INSTALL_FOLLOW_UPS = 5;

/** Model output must never ping @everyone, roles or users. */
const NO_PINGS = { parse: [] as [] };

/** What the bot puts in one Discord message: text, buttons, files. */
export type MessageContent = Pick<BaseMessageOptions, 'content' | 'components' | 'files'>;

/**
 * Where one turn's messages go, by message id: a channel, thread or DM, or the webhook of an
 * interaction (`/ask`). The renderer needs only these four calls; each rejects with discord.js's
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
}

/** A channel or thread to post in; `replyTo` when the answer replies to the question instead. */
export interface ChannelTarget {
  channel: SendableChannels;
  /** Set when the answer goes under a message as a Discord reply (no thread could be started, or a reply to an answer). */
  replyTo?: Message;
}

/** A channel, thread or DM the bot can post in. */
export class ChannelSurface implements MessageSurface {
  constructor(private readonly target: ChannelTarget) {}

  async post(message: MessageContent): Promise<string> {
    const { channel, replyTo } = this.target;
    const posted = replyTo
      ? await replyTo.reply({ ...message, allowedMentions: { ...NO_PINGS, repliedUser: false } })
      : await channel.send({ ...message, allowedMentions: NO_PINGS });
    return posted.id;
  }

  async edit(id: string, message: MessageContent): Promise<void> {
    await this.target.channel.messages.edit(id, { ...message, allowedMentions: NO_PINGS });
  }

  async delete(id: string): Promise<void> {
    await this.target.channel.messages.delete(id);
  }

  editPath(id: string): string {
    return `/channels/${this.target.channel.id}/messages/${id}`;
  }

  async typing(): Promise<void> {
    await this.target.channel.sendTyping();
  }
}

/**
 * The replies of a deferred interaction: the first message is the deferral's `@original`, later ones
 * follow-ups, all through the interaction's webhook. That is all a user-installed app may post where
 * the bot is not a member, and it works for the token's 15 minutes (Discord's interaction lifetime).
 */
export class InteractionSurface implements MessageSurface {
  private originalUsed = false;
  readonly maxPosts: number | undefined;

  constructor(private readonly interaction: ChatInputCommandInteraction | ModalSubmitInteraction) {
    // "Apps are limited to 5 followup messages per interaction if it was initiated from a user-installed
    // app and isn't installed in the server" (Discord, Receiving and Responding): the reply and 5 more.
    const guildInstalled = interaction.authorizingIntegrationOwners?.[0] !== undefined;
    this.maxPosts = guildInstalled ? undefined : USER_INSTALL_FOLLOW_UPS + 1;
  }

  async post(message: MessageContent): Promise<string> {
    const options = { ...message, allowedMentions: NO_PINGS };
    if (this.originalUsed) return (await this.interaction.followUp(options)).id;
    this.originalUsed = true;
    return (await this.interaction.editReply(options)).id;
  }

  async edit(id: string, message: MessageContent): Promise<void> {
    await this.interaction.editReply({ ...message, allowedMentions: NO_PINGS, message: id });
  }

  async delete(id: string): Promise<void> {
    await this.interaction.deleteReply(id);
  }

  editPath(id: string): string {
    return `/webhooks/${this.interaction.applicationId}/${this.interaction.token}/messages/${id}`;
  }

  async typing(): Promise<void> {}
}
