import type { Server } from 'node:http';
import dotenv from 'dotenv';
import { AccessPolicy } from './access/index.js';
import { ConfigError, loadSettings, type Settings } from './config/index.js';
import { checkContextWindow, ConversationEngine } from './engine/index.js';
import { createChatModel, createEmbedder } from './llm/index.js';
import { createLogger, type Logger } from './logging/logger.js';
import { McpPool, oauthCallbackRoute } from './mcp/index.js';
import { serveRoutes, type HttpRoute } from './http/index.js';
import { queueReport } from './observability/health.js';
import { observabilityRoutes } from './observability/http-endpoints.js';
import { countRestarts, measuredAccounts, measuredChatModel, measuredTools } from './observability/instrument.js';
import { BotMetrics } from './observability/metrics.js';
import { startTracing } from './observability/start-tracing.js';
import { AdminMessages } from './platforms/admin-messages.js';
import { ConsoleAdapter, ConsoleScreen } from './platforms/console/index.js';
import type { PlatformAdapter } from './platforms/types.js';
import { postToThread } from './platforms/thread-lines.js';
import { openTurnQueue, type TurnJob, type TurnLease, type TurnQueue } from './queue/index.js';
import { ServersReload, watchServersFile } from './reload/index.js';
import { openStore, ownStore, SecretBox, StoreUnavailableError, type Store } from './store/index.js';

/** Slack in HTTP mode owns PORT; the health and metrics routes then ride on its server. */
const slackServesHttp = (settings: Settings) => settings.slack !== undefined && settings.slack.appToken === undefined;

/** A person's authorization comes back to `/oauth/callback`, so the bot listens when any server may need one. */
const needsOAuthCallback = (settings: Settings) => settings.mcp.servers.some((server) => !server.disabled && server.kind === 'remote' && server.auth?.type === 'oauth');

/**
 * The platform modules this bot uses, loading: discord.js and Bolt take a noticeable part of start-up
 * to load, so only a bot that uses one loads it, and it loads while the MCP servers start.
 */
function loadPlatforms(settings: Settings) {
  // A failed load is reported where it is awaited; start-up may stop for another reason before that.
  const loading = <T>(module: Promise<T>): Promise<T> => {
    module.catch(() => undefined);
    return module;
  };
  return {
    discord: settings.discord ? loading(import('./platforms/discord/index.js')) : undefined,
    slack: settings.slack ? loading(import('./platforms/slack/index.js')) : undefined,
  };
}

/** The store, held by this process alone where its backend serves one process (see ownStore); closing it lets go. */
async function openOwnedStore(settings: Settings, logger: Logger): Promise<Store> {
  const store = await openStore(settings.store, logger);
  try {
    const release = await ownStore(store, settings.store.url, logger);
    return {
      history: store.history,
      kv: store.kv,
      bus: store.bus,
      ping: () => store.ping(),
      close: async () => {
        await release();
        await store.close();
      },
    };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

/** OAuth tokens are sealed with TOKEN_ENCRYPTION_KEY; without it they are stored as they are, which the operator is told once. */
function tokenSecrets(settings: Settings, logger: Logger): SecretBox | undefined {
  const keys = settings.tokenEncryption;
  if (keys) return new SecretBox(keys.key, keys.previousKey);
  if (needsOAuthCallback(settings) && !settings.store.url.startsWith('memory://')) {
    logger.warn('OAuth tokens of remote MCP servers are stored unencrypted: set TOKEN_ENCRYPTION_KEY to encrypt them (make a key with `openssl rand -base64 32`)');
  }
  return undefined;
}

/**
 * The store and the MCP pool, started side by side (servers take longest, and need nothing of the
 * store) unless a server's OAuth tokens live in the store. If one fails, the other is closed.
 */
async function openStoreAndPool(settings: Settings, logger: Logger, admins: AdminMessages): Promise<{ store: Store; pool: McpPool }> {
  const secrets = tokenSecrets(settings, logger);
  const startPool = (kv: Store['kv'] | undefined) =>
    McpPool.start(settings.mcp, logger, {
      oauth: kv && {
        kv,
        secrets,
        publicUrl: settings.oauth.publicUrl,
        showAuthorizationLink: (server, url) => {
          logger.warn({ server, url: url.href }, 'MCP server needs authorization: open this link and approve');
          admins.send(`The MCP server "${server}" needs authorization. Open this link and approve: ${url.href}`);
        },
      },
    });
  if (needsOAuthCallback(settings)) {
    const store = await openOwnedStore(settings, logger);
    try {
      return { store, pool: await startPool(store.kv) };
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
  }
  const [store, pool] = await Promise.allSettled([openOwnedStore(settings, logger), startPool(undefined)]);
  if (store.status === 'fulfilled' && pool.status === 'fulfilled') return { store: store.value, pool: pool.value };
  await Promise.allSettled([store.status === 'fulfilled' && store.value.close(), pool.status === 'fulfilled' && pool.value.close()]);
  throw store.status === 'rejected' ? store.reason : (pool as PromiseRejectedResult).reason;
}

async function buildAdapters(settings: Settings, platforms: ReturnType<typeof loadPlatforms>, engine: ConversationEngine, store: Store, queue: TurnQueue, logger: Logger, routes: HttpRoute[], screen: ConsoleScreen | undefined, metrics: BotMetrics, reload: ServersReload): Promise<PlatformAdapter[]> {
  const adapters: PlatformAdapter[] = [];
  const drainTimeoutMs = settings.shutdownTimeoutMs;
  if (settings.discord && platforms.discord) {
    const { DiscordAdapter } = await platforms.discord;
    adapters.push(new DiscordAdapter({ settings: settings.discord, engine, queue, kv: store.kv, conversationTtlMs: settings.store.historyTtlMs, logger, drainTimeoutMs, reload }));
  }
  if (settings.slack && platforms.slack) {
    const { SlackAdapter } = await platforms.slack;
    const slackRoutes = slackServesHttp(settings) ? routes : [];
    adapters.push(new SlackAdapter({ settings: settings.slack, port: settings.port, engine, queue, kv: store.kv, logger, threadMemoryMs: settings.store.historyTtlMs, routes: slackRoutes, drainTimeoutMs, feedback: metrics, reload }));
  }
  // With no platform token the bot runs in the terminal.
  if (adapters.length === 0) adapters.push(new ConsoleAdapter({ engine, logger, screen, reload }));
  return adapters;
}

/** A job runs on the adapter of its platform, whichever process received it. */
function runJobOn(adapters: PlatformAdapter[], metrics: BotMetrics, logger: Logger) {
  return async (job: TurnJob, lease: TurnLease): Promise<void> => {
    metrics.jobWaited(job.platform, lease.waitedMs / 1000);
    const adapter = adapters.find((candidate) => candidate.platform === job.platform);
    if (!adapter?.runJob) {
      logger.error({ threadKey: job.threadKey, job: job.id, platform: job.platform }, 'a turn job for a platform this process does not run; every process needs the same platform settings');
      return;
    }
    await adapter.runJob(job, lease);
  };
}

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const settings = await loadSettings(process.env, { terminal: process.stdin.isTTY === true && process.stdout.isTTY === true });
  await checkContextWindow(settings.engine);
  // A person at the console reads logs as short lines above the prompt; everywhere else they are JSON on standard error.
  const screen = settings.consoleTerminal ? new ConsoleScreen(process.stdout, process.stderr, true) : undefined;
  // pino-pretty is loaded only for a person at a terminal; deployed bots never need it.
  const pretty = screen && (await import('./logging/pretty-lines.js')).prettyLines((line) => screen.printAside(line));
  const logger = createLogger(settings.logLevel, pretty);
  const tracing = await startTracing(settings.tracing, logger);

  const platforms = loadPlatforms(settings);
  const metrics = new BotMetrics();
  const admins = new AdminMessages(settings.oauth.adminUsers, logger);
  const { store, pool } = await openStoreAndPool(settings, logger, admins);
  countRestarts(pool, metrics);
  const llm = measuredChatModel(createChatModel(settings.llm, logger), metrics);
  // The servers' allow lists and confirmTools; a reload of the servers file replaces them.
  const access = new AccessPolicy(settings.access, settings.mcp.servers);
  const engine = new ConversationEngine({
    llm,
    embedder: settings.embeddingModel === undefined ? undefined : createEmbedder(settings.llm, settings.embeddingModel, logger),
    tools: measuredTools(pool, metrics),
    history: store.history,
    settings: settings.engine,
    logger,
    observer: metrics,
    access,
    kv: store.kv,
    bus: store.bus,
    prompts: pool,
    accounts: measuredAccounts(pool.accounts, metrics),
  });
  // Several processes on Redis share one queue of turns; any other store serves one process and its own queue.
  const queue = await openTurnQueue({ storeUrl: settings.store.url, kv: store.kv, leaseMs: settings.turnLeaseMs }, logger).catch(async (error: unknown) => {
    await Promise.allSettled([pool.close(), store.close()]);
    throw error;
  });
  metrics.queueCounts = () => queue.counts();
  metrics.personalConnections = () => pool.personalConnections;
  // The servers file is read again when it changes, or when an admin runs /reload.
  const reload = new ServersReload({ file: settings.mcp.configPath, env: process.env, pool, access, admins: settings.oauth.adminUsers, tokenEncryption: settings.tokenEncryption, logger });

  // The terminal-only console opens no port; a deployment on Discord or Slack is watched over HTTP.
  const platformsConfigured = settings.discord !== undefined || settings.slack !== undefined;
  const routes = [
    ...(settings.httpEnabled && platformsConfigured ? observabilityRoutes({ adapters: () => adapters, serverStates: () => pool.serverStates(), storeAnswers: () => store.ping(), queue: () => queueReport(queue) }, metrics, logger) : []),
    ...(needsOAuthCallback(settings) ? [oauthCallbackRoute(pool, logger)] : []),
  ];
  const adapters = await buildAdapters(settings, platforms, engine, store, queue, logger, routes, screen, metrics, reload);
  let httpServer: Server | undefined;
  let stopWatching = () => {};

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down');
      // Bounded so a stuck turn or server cannot keep a stopping bot alive forever.
      const forced = setTimeout(() => {
        logger.error('shutdown took too long; exiting');
        process.exit(1);
      }, settings.shutdownTimeoutMs + 5_000);
      forced.unref();
      // A question still unanswered, or a task still running, near the end of the allowed time ends
      // then, so its turn can still finish and say so before the process exits.
      const givingUp = setTimeout(() => {
        engine.cancelQuestions();
        engine.cancelTasks();
      }, settings.shutdownTimeoutMs - Math.min(5_000, settings.shutdownTimeoutMs / 3));
      givingUp.unref();
      stopWatching();
      // The queue stops handing this process turns while the adapters stop taking events and wait for the turns they run.
      await Promise.allSettled([queue.stop(settings.shutdownTimeoutMs), ...adapters.map((adapter) => adapter.stop())]);
      httpServer?.close();
      await engine.drain(settings.shutdownTimeoutMs);
      await queue.close();
      await pool.close();
      await store.close();
      // Last, so the spans of the turns drained above are sent too.
      await tracing.shutdown();
      clearTimeout(givingUp);
      clearTimeout(forced);
      logger.info('stopped');
    })();
    return stopping;
  };
  // Installed before anything is announced, so a signal never meets the default handler and its abrupt exit.
  process.once('SIGINT', () => void shutdown('SIGINT').then(() => process.exit(0)));
  process.once('SIGTERM', () => void shutdown('SIGTERM').then(() => process.exit(0)));

  if (routes.length > 0 && !slackServesHttp(settings)) {
    httpServer = await serveRoutes(routes, settings.port, logger).catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`PORT ${settings.port} cannot be used for the bot's HTTP endpoints (${error.code ?? error.message}); set PORT`);
    });
  }
  await Promise.all(adapters.map((adapter) => adapter.start()));
  // After the adapters: a job needs its platform connected (the bot's own user id, the REST client).
  await queue.start(runJobOn(adapters, metrics, logger));
  admins.platformsStarted(adapters);
  // Tasks the previous run left running on MCP servers: cancelled, each thread told.
  await engine.cancelLeftoverTasks((threadKey, text) => postToThread(adapters, threadKey, text));
  stopWatching = watchServersFile(settings.mcp.configPath, () => void reload.reload('file change'), logger);
  logger.info({ platforms: adapters.map((adapter) => adapter.platform), tools: pool.tools().length }, 'bot ready');

  const consoleAdapter = adapters.find((adapter): adapter is ConsoleAdapter => adapter instanceof ConsoleAdapter);
  if (consoleAdapter) {
    await shutdown(await consoleAdapter.finished);
    process.exit(0);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StoreUnavailableError) {
    process.stderr.write(`error: ${error.message}\n`);
  } else {
    process.stderr.write(`error: start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
