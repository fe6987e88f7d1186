import type { webApi } from '@slack/bolt';

type WebClient = webApi.WebClient;
import type { Logger } from '../../logging/logger.js';

const CACHE_LIMIT = 1_000;

/** Turns Slack's encoded text into what a person reads, resolving `<@U…>` through users.info (cached). */
export class UserNames {
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
  ) {}

  async name(userId: string): Promise<string> {
    const cached = this.cache.get(userId);
    if (cached) return cached;
    let name = userId;
    try {
      const { user } = await this.client.users.info({ user: userId });
      name = user?.profile?.display_name || user?.real_name || user?.name || userId;
    } catch (error) {
      this.log.debug({ user: userId, err: error }, 'users.info failed; showing the id');
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(userId, name);
    return name;
  }

  /** The message as plain text: the bot's own mention removed, other mentions, channels and links readable. */
  async readable(text: string, botUserId: string): Promise<string> {
    const withoutBot = text.replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), ' ');
    const ids = [...new Set([...withoutBot.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((match) => match[1] ?? ''))];
    const names = new Map(await Promise.all(ids.map(async (id) => [id, await this.name(id)] as const)));
    return withoutBot
      .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => `@${names.get(id) ?? id}`)
      .replace(/<#[A-Z0-9]+\|([^>]*)>/g, '#$1')
      .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, '@$1')
      .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
      .replace(/<(https?:[^>]+)>/g, '$1')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
      .replace(/[ \t]+/g, ' ')
      .trim();
  }
}
