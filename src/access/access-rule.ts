import type { AccessRule, Asker } from './types.js';

/** In a channel list, stands for every direct message (their ids cannot be known in advance). */
export const DIRECT_MESSAGES = 'dm';

export const OPEN_RULE: AccessRule = { users: [], roles: [], channels: [] };

/**
 * The person is listed by id or holds a listed role (when either list is set), and the place is a
 * listed channel (when that list is set).
 */
export function permits(rule: AccessRule, asker: Asker): boolean {
  if (asker.operator) return true;
  const anyone = rule.users.length === 0 && rule.roles.length === 0;
  const person = anyone || rule.users.includes(asker.userId) || asker.roleIds.some((role) => rule.roles.includes(role));
  const place = rule.channels.length === 0 || rule.channels.includes(asker.channelId) || (asker.direct && rule.channels.includes(DIRECT_MESSAGES));
  return person && place;
}
