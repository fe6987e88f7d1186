export { McpPool } from './pool.js';
export type { PoolOptions, ServerEvent } from './pool.js';
export type { CatalogTool, JsonSchema, ServerState, ToolImage, ToolOutcome, ToolProvider } from './types.js';
