import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { knownContextWindow } from './context-windows.js';
import { isPersonalServer, loadServersConfig, type ServerConfig } from './servers.js';

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/** A comma-separated list of ids; blanks dropped. */
const idList = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').map((id) => id.trim()).filter((id) => id !== ''));

/** Entries separated by `|` (a prompt may contain commas); blanks dropped. */
const barList = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split('|').map((entry) => entry.trim()).filter((entry) => entry !== ''));

/** How to make a key, in every message about one. */
const MAKE_A_KEY = "make one with `openssl rand -base64 32` or `node -e \"console.log(crypto.randomBytes(32).toString('base64'))\"`";

/** 32 bytes as 64 hex digits, or as base64 (standard or URL-safe, padding optional); undefined for anything else. */
function decodeKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) return undefined;
  const key = Buffer.from(text.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
  return key.length === 32 ? key : undefined;
}

/** An AES-256 key (TOKEN_ENCRYPTION_KEY); the message never quotes the value. */
const encryptionKey = optionalText.transform((text, context) => {
  if (text === undefined) return undefined;
  const key = decodeKey(text);
  if (key) return key;
  context.addIssue({ code: 'custom', message: `must be 32 random bytes as base64 (44 characters) or as 64 hex digits; ${MAKE_A_KEY}` });
  return z.NEVER;
});

/** MCP_TASK_MAX_S when unset: half an hour. */
export const DEFAULT_TASK_MAX_S = 1800;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** OTLP over HTTP: `collector:4318` alone would parse as a URL with the scheme `collector:`. */
const otlpUrl = z.url({ protocol: /^https?$/ }).optional();

const envSchema = z.object({
  LLM_BASE_URL: z.url().default('https://api.openai.com/v1'),
  LLM_API_KEY: optionalText,
  LLM_MODEL: optionalText,
  LLM_EMBEDDING_MODEL: optionalText,
  LLM_TOOL_MODE: z.enum(['json', 'native']).default('json'),
  LLM_TIMEOUT_S: positiveInt(60),
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).default(3),
  LLM_CONTEXT_TOKENS: z.coerce.number().int().positive().optional(),
  LLM_STREAM: z.stringbool().default(true),
  LLM_VISION: z.stringbool().default(false),
  LLM_REPLIES_START_IN_REASONING: z.enum(['auto', 'yes', 'no']).default('auto'),
  // OpenAI refuses more than 128 tools in one request.
  TOOLS_MAX_PER_TURN: z.coerce.number().int().positive().max(128).default(24),
  TOOLS_PROMPT_MAX_CHARS: positiveInt(10_000),
  MAX_TOOL_STEPS: positiveInt(8),
  MAX_TOOL_RESULT_CHARS: positiveInt(20_000),
  MAX_INPUT_CHARS: positiveInt(8_000),
  RATE_LIMIT_PER_MIN: z.coerce.number().int().min(0).default(20),
  SHUTDOWN_TIMEOUT_S: positiveInt(30),
  TURN_LEASE_S: positiveInt(15),
  CONFIRM_TIMEOUT_S: positiveInt(300),
  ELICITATION_TIMEOUT_S: positiveInt(300),
  SAMPLING_MAX_PER_TURN: z.coerce.number().int().min(0).default(3),
  ALLOWED_USERS: idList,
  ALLOWED_ROLES: idList,
  ALLOWED_CHANNELS: idList,
  HISTORY_MAX_MESSAGES: positiveInt(40),
  HISTORY_MAX_CHARS: positiveInt(24_000),
  MCP_CONFIG: z.string().min(1).default('./servers_config.json'),
  MCP_STARTUP_TIMEOUT_S: positiveInt(30),
  MCP_TOOL_TIMEOUT_S: positiveInt(60),
  MCP_TASK_MAX_S: positiveInt(DEFAULT_TASK_MAX_S),
  MCP_USER_IDLE_S: positiveInt(600),
  MCP_USER_CONNECTIONS_MAX: positiveInt(200),
  STORE_URL: z.string().min(1).default('sqlite://./data/bot.sqlite'),
  HISTORY_TTL_DAYS: z.coerce.number().positive().default(30),
  DISCORD_TOKEN: optionalText,
  DISCORD_API_URL: optionalText,
  DISCORD_GUILD_ID: optionalText,
  DISCORD_SHARD_IDS: idList,
  DISCORD_SHARD_COUNT: z.coerce.number().int().positive().optional(),
  SLACK_BOT_TOKEN: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_API_URL: optionalText,
  SLACK_SUGGESTED_PROMPTS: barList,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  PUBLIC_URL: optionalText.pipe(z.url().optional()),
  ADMIN_USERS: idList,
  HTTP_ENABLED: z.stringbool().default(true),
  // No default here: it depends on whether a person watches the console in a terminal (see loadSettings).
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText.pipe(otlpUrl),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalText.pipe(otlpUrl),
  OTEL_SERVICE_NAME: optionalText,
  TOKEN_ENCRYPTION_KEY: encryptionKey,
  TOKEN_ENCRYPTION_KEY_PREVIOUS: encryptionKey,
});

export interface LlmSettings {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  /** Ask for answers as they are written (`stream: true`); LLM_STREAM=false for endpoints that stream badly. */
  stream: boolean;
}

export interface EngineSettings {
  /** `json`: the model answers text or a JSON tool call; `native`: OpenAI function calling. */
  toolMode: 'json' | 'native';
  maxToolSteps: number;
  /** Longer tool results are cut, and the model is told so. */
  maxToolResultChars: number;
  /** Longer messages are refused with a notice before reaching the model; text files attached count against what is left. */
  maxInputChars: number;
  /** The model takes images (LLM_VISION): attached images reach it as image parts. */
  vision: boolean;
  /**
   * Whether the model's chat template opens a reasoning block before each reply, so a reply holds only
   * the block's end (`</think>`; DeepSeek-R1, Qwen3 thinking behind an endpoint without a reasoning
   * parser): `auto` learns it from the first reply, which then does not stream (LLM_REPLIES_START_IN_REASONING).
   */
  repliesStartInReasoning: 'auto' | 'yes' | 'no';
  /** Messages per person per minute; 0 turns the limit off. */
  rateLimitPerMinute: number;
  historyMaxMessages: number;
  historyMaxChars: number;
  /** How long a tool call waits for Approve before it counts as denied. */
  confirmTimeoutMs: number;
  /** How long a server's form waits for the person before it counts as cancelled. */
  elicitationTimeoutMs: number;
  /** Sampling requests (servers borrowing the model) served per question, for servers allowed them. */
  maxSamplesPerTurn: number;
  /** At most this many tools offered on one request; a larger catalog is ranked against the conversation. */
  toolsMaxPerTurn: number;
  /** At most this many characters of tool descriptions (or definitions, in native mode) on one request. */
  toolsPromptMaxChars: number;
  /** The model's context window in tokens (LLM_CONTEXT_TOKENS, or known for some hosted models); unlimited when undefined. */
  contextTokens: number | undefined;
}

/** Empty lists allow everyone; see src/access for how they combine. */
export interface AccessSettings {
  users: string[];
  roles: string[];
  channels: string[];
}

export interface OAuthSettings {
  /** The bot's address as a person's browser reaches it; authorization servers send people back below it. */
  publicUrl: string;
  /** Platform user ids that are sent authorization links (the first one that can be reached). */
  adminUsers: string[];
}

/** How OAuth tokens and client secrets are sealed in the store (AES-256-GCM). */
export interface TokenEncryptionSettings {
  /** Seals every value written, and opens what it sealed (TOKEN_ENCRYPTION_KEY). */
  key: Buffer;
  /** Opens values sealed before a rotation, which are then sealed again with `key` (TOKEN_ENCRYPTION_KEY_PREVIOUS). */
  previousKey: Buffer | undefined;
}

export interface McpSettings {
  configPath: string;
  servers: ServerConfig[];
  startupTimeoutMs: number;
  /** Used for servers without their own `timeoutMs`. */
  defaultToolTimeoutMs: number;
  /** Characters of text a linked resource may bring into a tool result (MAX_TOOL_RESULT_CHARS); 20,000 when absent. */
  maxResourceChars?: number;
  /** How long a tool run as an MCP task may take before it is cancelled (MCP_TASK_MAX_S); DEFAULT_TASK_MAX_S when absent. */
  maxTaskMs?: number;
  /** Connections of per-person servers (`"perUser": true`); defaults when absent (MCP_USER_IDLE_S, MCP_USER_CONNECTIONS_MAX). */
  personal?: PersonalConnectionSettings;
}

export interface PersonalConnectionSettings {
  /** A person's connection is closed after this long without a call or a turn (MCP_USER_IDLE_S, 600 s). */
  idleMs: number;
  /** Connections open at once, all servers and people together; the least recently used closes first (MCP_USER_CONNECTIONS_MAX, 200). */
  maxConnections: number;
}

export interface StoreSettings {
  url: string;
  historyTtlMs: number;
}

export interface DiscordSettings {
  token: string;
  apiUrl: string | undefined;
  guildId: string | undefined;
  /**
   * The gateway shards this process connects (DISCORD_SHARD_IDS of DISCORD_SHARD_COUNT): discord.js's
   * `shards` and `shardCount`. Absent: every shard, as many as Discord recommends. A guild's events
   * arrive on shard `(guild_id >> 22) % count`, DMs on shard 0 (discord.com/developers/docs/events/gateway#sharding).
   */
  shards?: { ids: number[]; count: number };
}

export interface SlackSettings {
  botToken: string;
  appToken: string | undefined;
  signingSecret: string | undefined;
  apiUrl: string | undefined;
  /** Offered when a person opens the assistant pane; empty or absent: made from the first tools' descriptions. */
  suggestedPrompts?: string[];
}

export interface TracingSettings {
  /** Where spans are POSTed over OTLP/HTTP (JSON). */
  tracesUrl: string;
  /** The `service.name` of every span. */
  serviceName: string;
}

export interface Settings {
  llm: LlmSettings;
  /** An embeddings model on the same endpoint (LLM_EMBEDDING_MODEL), to rank tools by meaning as well as by words. */
  embeddingModel: string | undefined;
  engine: EngineSettings;
  access: AccessSettings;
  mcp: McpSettings;
  oauth: OAuthSettings;
  store: StoreSettings;
  /** Absent without TOKEN_ENCRYPTION_KEY: tokens are then stored as they are. */
  tokenEncryption: TokenEncryptionSettings | undefined;
  /** Present only when the platform's token is set. */
  discord: DiscordSettings | undefined;
  slack: SlackSettings | undefined;
  port: number;
  /** /healthz and /metrics on `port` while a chat platform runs. */
  httpEnabled: boolean;
  /** How long a stopping bot waits for turns in flight before it closes everything anyway. */
  shutdownTimeoutMs: number;
  /**
   * With several processes on Redis: how long a running turn holds its thread without renewing (it
   * renews every third of it); a process that dies loses its turns to another after about this long.
   */
  turnLeaseMs: number;
  logLevel: string;
  /**
   * The console runs for a person at a terminal (standard input and output are terminals and no platform
   * token is set): answers stream, logs are short readable lines written around the prompt.
   */
  consoleTerminal: boolean;
  /** Present only when an OTLP endpoint is set. */
  tracing: TracingSettings | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * OTLP/HTTP per OpenTelemetry's exporter spec: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the traces URL as
 * it is; OTEL_EXPORTER_OTLP_ENDPOINT is a base to which `v1/traces` is appended.
 */
/**
 * DISCORD_SHARD_IDS of DISCORD_SHARD_COUNT, checked together: ids without a count cannot say which
 * guilds are whose, and an id of `count` or more names no shard.
 * @throws ConfigError naming the variable
 */
function discordShards(vars: z.infer<typeof envSchema>): DiscordSettings['shards'] {
  const ids = vars.DISCORD_SHARD_IDS;
  const count = vars.DISCORD_SHARD_COUNT;
  if (ids.length === 0 && count === undefined) return undefined;
  if (count === undefined) throw new ConfigError('DISCORD_SHARD_IDS is set but DISCORD_SHARD_COUNT is not: set it to the number of shards all processes share');
  if (ids.length === 0) return { ids: Array.from({ length: count }, (_, id) => id), count };
  const numbers = ids.map(Number);
  const wrong = ids.find((id, index) => !Number.isInteger(numbers[index]) || numbers[index]! < 0 || numbers[index]! >= count);
  if (wrong !== undefined) throw new ConfigError(`DISCORD_SHARD_IDS: "${wrong}" is not a shard of DISCORD_SHARD_COUNT=${count} (0 to ${count - 1})`);
  return { ids: numbers, count };
}

/**
 * TOKEN_ENCRYPTION_KEY and its predecessor: the previous key alone would open old values and seal
 * nothing, which is never what an operator rotating keys meant.
 * @throws ConfigError naming the variable
 */
function tokenEncryption(vars: z.infer<typeof envSchema>): TokenEncryptionSettings | undefined {
  const key = vars.TOKEN_ENCRYPTION_KEY;
  const previousKey = vars.TOKEN_ENCRYPTION_KEY_PREVIOUS;
  if (!key && previousKey) throw new ConfigError('TOKEN_ENCRYPTION_KEY_PREVIOUS is set but TOKEN_ENCRYPTION_KEY is not: the previous key only opens old values; set the new key in TOKEN_ENCRYPTION_KEY');
  return key ? { key, previousKey } : undefined;
}

/**
 * The token encryption settings, for a feature that must not store a person's tokens in clear.
 * @param feature what needs it, for the message (e.g. "the per-person server `tracker`")
 * @throws ConfigError naming TOKEN_ENCRYPTION_KEY and how to make one
 */
export function requireTokenEncryption(settings: Pick<Settings, 'tokenEncryption'>, feature: string): TokenEncryptionSettings {
  if (settings.tokenEncryption) return settings.tokenEncryption;
  throw new ConfigError(`${feature} keeps people's OAuth tokens, which are stored only encrypted: set TOKEN_ENCRYPTION_KEY; ${MAKE_A_KEY}`);
}

/**
 * Refuses per-person servers (`"perUser": true`) without TOKEN_ENCRYPTION_KEY: their tokens are
 * people's own accounts and are never stored in clear. At start-up and on every reload.
 * @throws ConfigError naming the file, the first such server and how to make a key
 */
export function checkPersonalServers(servers: ServerConfig[], settings: Pick<Settings, 'tokenEncryption'>, file: string): void {
  const personal = servers.find((server) => !server.disabled && isPersonalServer(server));
  if (personal) requireTokenEncryption(settings, `${file}: server "${personal.name}" ("auth": {"perUser": true})`);
}

function tracingSettings(vars: z.infer<typeof envSchema>): TracingSettings | undefined {
  const base = vars.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesUrl = vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`);
  return tracesUrl === undefined ? undefined : { tracesUrl, serviceName: vars.OTEL_SERVICE_NAME ?? 'mcp-chat-bot' };
}

/** What the process was started on, as opposed to what the environment says. */
export interface StartContext {
  /** Standard input and standard output are both terminals. */
  terminal: boolean;
}

/** Parses the environment contract and the servers file once, at start-up. */
export async function loadSettings(env: Record<string, string | undefined>, context: StartContext = { terminal: false }): Promise<Settings> {
  // `NAME=` (as a .env copied from .env.example has it) means "not set": the default, not an invalid value.
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value === undefined || value.trim() !== '')));
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    const variable = first?.path.map(String).join('.') ?? 'environment';
    throw new ConfigError(`environment variable ${variable}: ${first?.message ?? 'invalid'}`);
  }
  const vars = parsed.data;
  if (!vars.LLM_MODEL) throw new ConfigError('environment variable LLM_MODEL is required (the model name, e.g. gpt-4o-mini); see .env.example');
  if (vars.SLACK_BOT_TOKEN && !vars.SLACK_APP_TOKEN && !vars.SLACK_SIGNING_SECRET) {
    throw new ConfigError('SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP events) is');
  }

  const consoleTerminal = context.terminal && !vars.DISCORD_TOKEN && !vars.SLACK_BOT_TOKEN;
  const settings: Settings = {
    llm: {
      baseUrl: vars.LLM_BASE_URL,
      apiKey: vars.LLM_API_KEY,
      model: vars.LLM_MODEL,
      timeoutMs: vars.LLM_TIMEOUT_S * 1000,
      maxRetries: vars.LLM_MAX_RETRIES,
      stream: vars.LLM_STREAM,
    },
    embeddingModel: vars.LLM_EMBEDDING_MODEL,
    engine: {
      toolMode: vars.LLM_TOOL_MODE,
      maxToolSteps: vars.MAX_TOOL_STEPS,
      maxToolResultChars: vars.MAX_TOOL_RESULT_CHARS,
      maxInputChars: vars.MAX_INPUT_CHARS,
      vision: vars.LLM_VISION,
      repliesStartInReasoning: vars.LLM_REPLIES_START_IN_REASONING,
      rateLimitPerMinute: vars.RATE_LIMIT_PER_MIN,
      historyMaxMessages: vars.HISTORY_MAX_MESSAGES,
      historyMaxChars: vars.HISTORY_MAX_CHARS,
      confirmTimeoutMs: vars.CONFIRM_TIMEOUT_S * 1000,
      elicitationTimeoutMs: vars.ELICITATION_TIMEOUT_S * 1000,
      maxSamplesPerTurn: vars.SAMPLING_MAX_PER_TURN,
      toolsMaxPerTurn: vars.TOOLS_MAX_PER_TURN,
      toolsPromptMaxChars: vars.TOOLS_PROMPT_MAX_CHARS,
      contextTokens: vars.LLM_CONTEXT_TOKENS ?? knownContextWindow(vars.LLM_MODEL),
    },
    access: { users: vars.ALLOWED_USERS, roles: vars.ALLOWED_ROLES, channels: vars.ALLOWED_CHANNELS },
    mcp: {
      configPath: vars.MCP_CONFIG,
      servers: await loadServersConfig(vars.MCP_CONFIG, env),
      startupTimeoutMs: vars.MCP_STARTUP_TIMEOUT_S * 1000,
      defaultToolTimeoutMs: vars.MCP_TOOL_TIMEOUT_S * 1000,
      maxResourceChars: vars.MAX_TOOL_RESULT_CHARS,
      maxTaskMs: vars.MCP_TASK_MAX_S * 1000,
      personal: { idleMs: vars.MCP_USER_IDLE_S * 1000, maxConnections: vars.MCP_USER_CONNECTIONS_MAX },
    },
    oauth: {
      publicUrl: vars.PUBLIC_URL ?? `http://localhost:${vars.PORT}`,
      adminUsers: vars.ADMIN_USERS,
    },
    store: { url: vars.STORE_URL, historyTtlMs: vars.HISTORY_TTL_DAYS * DAY_MS },
    tokenEncryption: tokenEncryption(vars),
    discord: vars.DISCORD_TOKEN ? { token: vars.DISCORD_TOKEN, apiUrl: vars.DISCORD_API_URL, guildId: vars.DISCORD_GUILD_ID, shards: discordShards(vars) } : undefined,
    slack: vars.SLACK_BOT_TOKEN
      ? { botToken: vars.SLACK_BOT_TOKEN, appToken: vars.SLACK_APP_TOKEN, signingSecret: vars.SLACK_SIGNING_SECRET, apiUrl: vars.SLACK_API_URL, suggestedPrompts: vars.SLACK_SUGGESTED_PROMPTS }
      : undefined,
    port: vars.PORT,
    httpEnabled: vars.HTTP_ENABLED,
    shutdownTimeoutMs: vars.SHUTDOWN_TIMEOUT_S * 1000,
    turnLeaseMs: vars.TURN_LEASE_S * 1000,
    // A person at the console wants the conversation, not the bot's routine: only what needs their eye.
    logLevel: vars.LOG_LEVEL ?? (consoleTerminal ? 'warn' : 'info'),
    consoleTerminal,
    tracing: tracingSettings(vars),
  };
  checkPersonalServers(settings.mcp.servers, settings, vars.MCP_CONFIG);
  return settings;
}
