export { ConfigError } from './config-error.js';
export { checkPersonalServers, DEFAULT_TASK_MAX_S, loadSettings, requireTokenEncryption } from './settings.js';
export type { AccessSettings, DiscordSettings, EngineSettings, LlmSettings, McpSettings, OAuthSettings, PersonalConnectionSettings, Settings, SlackSettings, StartContext, StoreSettings, TokenEncryptionSettings, TracingSettings } from './settings.js';
export { isPersonalServer, loadServersConfig, parseServer } from './servers.js';
export type { RemoteAuthConfig, RemoteServerConfig, ServerConfig, StdioServerConfig } from './servers.js';
