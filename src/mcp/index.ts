export { McpPool } from './pool.js';
export { oauthCallbackRoute } from './auth/index.js';
export type { PoolOptions, ServerChanges, ServerEvent } from './pool.js';
export type { RestartPolicy, ServerEventType } from './server-connection.js';
export type { CatalogTool, JsonSchema, PromptArgument, ServerPrompt, ServerState, ToolImage, ToolOutcome, ToolProvider } from './types.js';
