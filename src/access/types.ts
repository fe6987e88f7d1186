/** Who is asking and where, in platform ids; all access decisions are made on this alone. */
export interface Asker {
  userId: string;
  /**
   * The person across platforms and workspaces, for what is kept per person (their own accounts on
   * per-person servers): `slack:<team>:<user>`, `discord:<user>`, `console:operator`.
   */
  personId: string;
  /** Discord role ids the person holds where they asked; empty on other platforms. */
  roleIds: string[];
  /** The channel asked in; for a thread, the channel it belongs to. */
  channelId: string;
  /** A direct message with the bot rather than a shared channel. */
  direct: boolean;
  /** The person running the bot, at its terminal: access lists name platform ids and do not apply. */
  operator?: boolean;
}

/** Who may: empty `users` and `roles` admit everyone; empty `channels` admits every channel. */
export interface AccessRule {
  users: string[];
  roles: string[];
  channels: string[];
}
