export { watchServersFile } from './file-watch.js';
export { RELOAD_REFUSED_TEXT, reloadText, runReloadCommand } from './reload-reply.js';
export { ServersReload } from './servers-reload.js';
export type { ReloadOutcome, ServersReloadOptions } from './servers-reload.js';
