export { DiscordAdapter } from './discord-adapter.js';
export type { DiscordAdapterOptions } from './discord-adapter.js';
