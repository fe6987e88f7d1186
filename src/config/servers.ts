import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { interpolate } from './interpolate.js';

const toolFilter = {
  disabled: z.boolean().default(false),
  /** Per-call time-out for this server's tools. */
  timeoutMs: z.number().int().positive().optional(),
  allowTools: z.array(z.string().min(1)).optional(),
  denyTools: z.array(z.string().min(1)).optional(),
  /** Who may have this server's tools offered: platform user ids, Discord role ids, channel ids (`dm` for direct messages). */
  allowUsers: z.array(z.string().min(1)).optional(),
  allowRoles: z.array(z.string().min(1)).optional(),
  allowChannels: z.array(z.string().min(1)).optional(),
  /** Tools (as the server names them, or `*`) that run only after the asker presses Approve. */
  confirmTools: z.array(z.string().min(1)).default([]),
  /** Lets the server ask the bot's model for completions (MCP sampling) during its tool calls. */
  allowSampling: z.boolean().default(false),
};

const stdioServerSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().min(1).optional(),
  /**
   * Processes of this server to run side by side, each call going to the least busy one. Only for a
   * server that keeps no state between calls, which only the operator can know; one when left out.
   */
  instances: z.number().int().min(1).max(16).optional(),
  ...toolFilter,
});

/** Authorization code + PKCE, once per server, by a person following a link; discovery does the rest. */
const oauthSchema = z.strictObject({
  type: z.literal('oauth'),
  /** Pre-registered client; without it the bot registers itself (dynamic registration) or uses `clientMetadataUrl`. */
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  /** An https URL serving this client's metadata document, used as the client id where the server supports it. */
  clientMetadataUrl: z.url().optional(),
  /** Asked for when neither the server's challenge nor its metadata name scopes. */
  scope: z.string().min(1).optional(),
  /**
   * Accept authorization-server metadata whose `issuer` is not the address it was found at (RFC 8414
   * §3.3 requires they match, and the SDK checks it), as 2025-03-26 servers that serve it at their
   * root may have it. Weakens the mix-up defence: only for a server known to be set up that way.
   */
  allowIssuerMismatch: z.boolean().optional(),
  /**
   * Each person connects their own account: tokens kept per (server, person), one connection per
   * person, and no tools for a person who has not connected. Without it one authorization serves everybody.
   */
  perUser: z.boolean().optional(),
});

/** Machine to machine: a client secret, or a private key signing JWT assertions (private_key_jwt). */
const clientCredentialsSchema = z
  .strictObject({
    type: z.literal('client_credentials'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    privateKeyJwt: z.strictObject({ privateKey: z.string().min(1), algorithm: z.string().min(1).default('RS256') }).optional(),
    scope: z.string().min(1).optional(),
  })
  .refine((auth) => (auth.clientSecret === undefined) !== (auth.privateKeyJwt === undefined), { message: 'needs exactly one of "clientSecret" or "privateKeyJwt"' });

/** Enterprise-managed authorization (SEP-990): the company's identity provider vouches for the bot. */
const crossAppAccessSchema = z.strictObject({
  type: z.literal('cross_app_access'),
  /** The bot's client at the MCP server's authorization server. */
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** The identity provider's token endpoint, the bot's client id there, and the ID token it issued the bot. */
  idpTokenEndpoint: z.url(),
  idpClientId: z.string().min(1),
  idToken: z.string().min(1),
  scope: z.string().min(1).optional(),
});

const remoteServerSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()).default({}),
  auth: z.discriminatedUnion('type', [oauthSchema, clientCredentialsSchema, crossAppAccessSchema]).optional(),
  /** `http` is Streamable HTTP; without it, Streamable HTTP is tried first and SSE is the fallback. */
  transport: z.enum(['http', 'sse']).optional(),
  ...toolFilter,
});

const serversFileSchema = z.strictObject({
  mcpServers: z.record(z.string(), z.unknown()),
});

type StdioFields = z.infer<typeof stdioServerSchema>;
type RemoteFields = z.infer<typeof remoteServerSchema>;

export type StdioServerConfig = Omit<StdioFields, 'env' | 'cwd'> & {
  kind: 'stdio';
  name: string;
  /** The bot's environment (minus its own secrets) with the server's `env` merged over it. */
  env: Record<string, string>;
  /** Absolute; relative paths in the file are taken from the file's folder. */
  cwd: string;
};

export type RemoteServerConfig = RemoteFields & { kind: 'remote'; name: string };
export type RemoteAuthConfig = NonNullable<RemoteFields['auth']>;

export type ServerConfig = StdioServerConfig | RemoteServerConfig;

/** A remote OAuth server each person connects with their own account (`"auth": {"type": "oauth", "perUser": true}`). */
export function isPersonalServer(config: ServerConfig): config is RemoteServerConfig {
  return config.kind === 'remote' && config.auth?.type === 'oauth' && config.auth.perUser === true;
}

/** Names of the bot's own secrets, which MCP child processes never inherit. */
const BOT_SECRETS = new Set(['LLM_API_KEY', 'DISCORD_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET']);

function inheritedEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !BOT_SECRETS.has(key)) inherited[key] = value;
  }
  return inherited;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  return field ? `field "${field}": ${issue.message}` : issue.message;
}

/** One entry of the servers file (`file` names where it came from in errors), checked field by field. */
export function parseServer(file: string, name: string, raw: unknown, env: Record<string, string | undefined>): ServerConfig {
  const where = (field: string) => `${file}: server "${name}"${field ? `: field "${field}"` : ''}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${where('')}: expected an object`);
  const baseDir = path.dirname(path.resolve(file));
  // Servers resolve relative paths from wherever they run (the memory server: its own install folder), so
  // `${MCP_CONFIG_DIR}` gives the servers file's folder as an absolute path, as editors offer `${workspaceFolder}`.
  const entry = interpolate(raw, { ...env, MCP_CONFIG_DIR: baseDir }, where) as Record<string, unknown>;
  const isRemote = 'url' in entry;
  if (isRemote && 'command' in entry) throw new ConfigError(`${where('')}: has both "command" and "url"; a server is either stdio (command) or remote (url)`);
  if (!isRemote && !('command' in entry)) {
    // A typo ("comand") is the usual reason: naming the fields no schema knows points at it.
    const known = new Set([...Object.keys(stdioServerSchema.shape), ...Object.keys(remoteServerSchema.shape)]);
    const unknown = Object.keys(entry).filter((key) => !known.has(key));
    throw new ConfigError(`${where('')}: needs either "command" (stdio) or "url" (remote)${unknown.length > 0 ? `; unknown field ${unknown.map((key) => `"${key}"`).join(', ')}` : ''}`);
  }
  // Said plainly rather than as an unknown field: the operator meant something the remote kind cannot do.
  if (isRemote && 'instances' in entry) throw new ConfigError(`${where('instances')}: only a stdio server runs as several processes; a remote server is one connection`);

  const parsed = (isRemote ? remoteServerSchema : stdioServerSchema).safeParse(entry);
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    throw new ConfigError(`${file}: server "${name}": ${first ? describeIssue(first) : 'invalid'}`);
  }
  if (isRemote) return { ...(parsed.data as RemoteFields), kind: 'remote', name };

  const stdio = parsed.data as StdioFields;
  return {
    ...stdio,
    kind: 'stdio',
    name,
    cwd: path.resolve(baseDir, stdio.cwd ?? '.'),
    env: { ...inheritedEnvironment(env), ...stdio.env },
  };
}

/** Reads the Claude-Desktop style servers file; every error names the file, the server and the field. */
export async function loadServersConfig(file: string, env: Record<string, string | undefined>): Promise<ServerConfig[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `${file}: file not found (set MCP_CONFIG to point at your servers file)` : `${file}: cannot read (${code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const file_ = serversFileSchema.safeParse(json);
  if (!file_.success) {
    const [first] = file_.error.issues;
    throw new ConfigError(`${file}: ${first ? describeIssue(first) : 'invalid'}`);
  }
  return Object.entries(file_.data.mcpServers).map(([name, raw]) => parseServer(file, name, raw, env));
}
