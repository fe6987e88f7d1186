import type { webApi } from '@slack/bolt';
import type { Logger } from '../../logging/logger.js';
import { failureFields } from './slack-failures.js';

/** Enough for every active person in a large workspace; the oldest entry goes first beyond it. */
const CACHE_LIMIT = 1_000;

/** People's display names through users.info, cached so a busy thread costs one lookup per person. */
export class UserNames {
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly log: Logger,
  ) {}

  /** The name to show for `userId`; the id itself when Slack cannot tell (not cached, so a later call retries). */
  async name(userId: string): Promise<string> {
    const cached = this.cache.get(userId);
    if (cached) return cached;
    try {
      const { user } = await this.client.users.info({ user: userId });
      const name = user?.profile?.display_name || user?.real_name || user?.name || userId;
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(userId, name);
      return name;
    } catch (error) {
      this.log.warn({ user: userId, ...failureFields(error) }, 'users.info failed; showing the user id');
      return userId;
    }
  }

  async names(userIds: string[]): Promise<Map<string, string>> {
    return new Map(await Promise.all(userIds.map(async (id) => [id, await this.name(id)] as const)));
  }
}
