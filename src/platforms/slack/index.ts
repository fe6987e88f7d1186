export { SlackAdapter } from './slack-adapter.js';
export type { SlackAdapterOptions } from './slack-adapter.js';
