import type { PlatformAdapter } from './types.js';

/**
 * Posts a line in a conversation by its thread key, through the running platform the key belongs to
 * (its first part); false when that platform is not running or cannot post there.
 */
export async function postToThread(adapters: PlatformAdapter[], threadKey: string, text: string): Promise<boolean> {
  const platform = threadKey.split(':')[0];
  const adapter = adapters.find((candidate) => candidate.platform === platform);
  return (await adapter?.postToThread?.(threadKey, text)) ?? false;
}
