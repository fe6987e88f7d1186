import type { ReloadOutcome, ServersReload } from './servers-reload.js';

export const RELOAD_REFUSED_TEXT = 'Only the bot admins (ADMIN_USERS) can reload the servers.';
export const RELOAD_UNAVAILABLE_TEXT = 'This bot cannot reload its servers.';

const names = (list: string[]) => list.map((name) => `"${name}"`).join(', ');

/** One line for the person who ran /reload: what changed, or why the file was refused. */
export function reloadText(outcome: ReloadOutcome): string {
  if (!outcome.ok) return `The servers file was not loaded, so the running servers stay as they are: ${outcome.error}`;
  const { added, removed, restarted } = outcome.changes;
  const parts = [added.length > 0 && `added ${names(added)}`, removed.length > 0 && `removed ${names(removed)}`, restarted.length > 0 && `restarted ${names(restarted)}`].filter(Boolean);
  if (parts.length === 0) return 'Servers reloaded: no change.';
  const down = Object.entries(outcome.notReady).map(([name, state]) => `"${name}" is ${state === 'needs-authorization' ? 'waiting for authorization' : state}`);
  return `Servers reloaded: ${parts.join('; ')}.${down.length > 0 ? ` Not up yet: ${down.join(', ')} (see the logs).` : ''}`;
}

/** `/reload` on any platform: refused for someone not in ADMIN_USERS, else the reload and its line. */
export async function runReloadCommand(reload: ServersReload | undefined, asker: { userId: string; operator?: boolean }, by: string): Promise<string> {
  if (!reload) return RELOAD_UNAVAILABLE_TEXT;
  if (!reload.mayReload(asker)) return RELOAD_REFUSED_TEXT;
  return reloadText(await reload.reload(by));
}
