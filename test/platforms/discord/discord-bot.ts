import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { ServerConfig } from '../../../src/config/index.js';
import type { ConversationEngine } from '../../../src/engine/index.js';
import type { ServersReload } from '../../../src/reload/index.js';
import { DiscordAdapter } from '../../../src/platforms/discord/index.js';
import type { TurnQueue } from '../../../src/queue/index.js';
import { FakeDiscord, type RestCall } from '../../fakes/fake-discord.js';
import type { LlmScript } from '../../fakes/fake-llm.js';
import { engineBeside, type EngineBesideOptions } from '../../helpers/engine-beside.js';
import { startEngineHarness, type EngineHarness, type EngineHarnessOptions } from '../../helpers/engine-harness.js';
import { capturingLogger, type LogLine } from '../../helpers/logger.js';
import type { Recorder } from '../../helpers/recorder.js';
import { runCleanups } from '../../helpers/teardown.js';
import { queueServing } from '../../helpers/turn-queue.js';

export const TOKEN = 'fake-discord-bot-token';

export interface DiscordBot {
  harness: EngineHarness;
  discord: FakeDiscord;
  adapter: DiscordAdapter;
  /** The process's in-process turn queue; it runs each job on `adapter` (read when the job runs, so a test may swap in a restarted one). */
  queue: TurnQueue;
  /** What the adapter logged, parsed; `rawLogs` is the text as written. */
  logs: Recorder<LogLine>;
  rawLogs: string[];
  close(): Promise<void>;
}

/** The real adapter on the real engine (fixture MCP servers, fake LLM), connected to a fake Discord. */
export function startDiscordBot(
  options: {
    script: LlmScript;
    servers?: ServerConfig[];
    guildId?: string;
    /** What `/reload` runs, made from the harness's pool and access policy. */
    reload?: (harness: EngineHarness) => ServersReload;
  } & Pick<EngineHarnessOptions, 'access' | 'engine' | 'storeUrl' | 'oauth'>,
): Promise<DiscordBot> {
  const { script, access, engine, storeUrl, oauth } = options;
  return connectDiscordBot(
    () => startEngineHarness({ script, access, engine, storeUrl, oauth, ...(options.servers ? { servers: options.servers } : {}) }),
    { closesHarness: true, guildId: options.guildId, reload: options.reload },
  );
}

/**
 * One bot for a test file's `describe`: started before its tests (`started` gets it), closed after;
 * each test starts with the fake model's requests cleared, and may leave no ping in what the bot
 * posted. Returns the REST calls since the running test began.
 */
export function oneBotPerFile(options: Parameters<typeof startDiscordBot>[0], started: (bot: DiscordBot) => void): () => RestCall[] {
  let bot: DiscordBot | undefined;
  let callsBefore = 0;
  const since = () => bot!.discord.rest.items.slice(callsBefore);
  beforeAll(async () => {
    bot = await startDiscordBot(options);
    started(bot);
  });
  afterAll(async () => {
    await bot?.close();
  });
  beforeEach(() => {
    bot!.harness.llm.requests.clear();
    callsBefore = bot!.discord.rest.items.length;
  });
  afterEach(() => expectNoPings(since()));
  return since;
}

/**
 * Another bot process beside `bot` (same model, MCP servers and store; engine settings of its own) on a
 * Discord of its own, so only it hears what a test sends there. Its close() leaves `bot` running.
 */
export function startDiscordBotBeside(bot: DiscordBot, options: EngineBesideOptions): Promise<DiscordBot> {
  return connectDiscordBot(async () => bot.harness, { closesHarness: false, engine: (harness) => engineBeside(harness, options) });
}

async function connectDiscordBot(
  harnessFor: () => Promise<EngineHarness>,
  options: { closesHarness: boolean; guildId?: string; engine?: (harness: EngineHarness) => ConversationEngine; reload?: (harness: EngineHarness) => ServersReload },
): Promise<DiscordBot> {
  const { logger, logs, rawLogs } = capturingLogger();
  const parts: Partial<Omit<DiscordBot, 'close'>> = { logs, rawLogs };
  // Newest first: the adapter, then Discord, then the harness (which checks the fake LLM refused nothing),
  // each even when one before it failed. Reads `bot.adapter` at the end, so a test that swaps in a
  // restarted adapter has that one stopped; stopping an adapter the test already stopped is a no-op.
  const close = () =>
    runCleanups([
      async () => {
        if (options.closesHarness) await parts.harness?.close();
      },
      async () => await parts.discord?.close(),
      async () => await parts.queue?.stop(10_000),
      async () => await parts.adapter?.stop(),
    ]);
  const bot = Object.assign(parts, { close });
  try {
    bot.harness = await harnessFor();
    bot.discord = await FakeDiscord.start();
    const engine = options.engine?.(bot.harness) ?? bot.harness.engine;
    // As src/index.ts builds it: the queue's jobs go to the adapter of their platform.
    bot.queue = queueServing(bot.harness.store.kv, logger, () => bot.adapter);
    bot.adapter = new DiscordAdapter({ settings: { token: TOKEN, apiUrl: bot.discord.apiUrl, guildId: options.guildId }, engine, queue: bot.queue, kv: bot.harness.store.kv, logger, reload: options.reload?.(bot.harness) });
    await bot.adapter.start();
    return bot as DiscordBot;
  } catch (error) {
    await close().catch((failed: unknown) => {
      throw new AggregateError([error, failed], 'the Discord bot failed to start and then to clean up');
    });
    throw error;
  }
}

export const contentOf = (call: RestCall) => String(call.body?.content ?? '');

/** Waits until something the bot posted or edited into `channelId`, and Discord took, contains `text`. */
export function answerIn(discord: FakeDiscord, channelId: string, text: string): Promise<RestCall> {
  return discord.rest.waitFor(
    (call) => (call.method === 'POST' || call.method === 'PATCH') && call.status < 300 && call.path.startsWith(`/channels/${channelId}/messages`) && contentOf(call).includes(text),
    { what: `"${text}" in channel ${channelId}` },
  );
}

/** Every message the bot posted or edited, in channels or as interaction replies, can ping no one. */
export function expectNoPings(calls: RestCall[]): void {
  const messages = calls.filter((call) => (call.method === 'POST' || call.method === 'PATCH') && /^\/(channels\/\d+\/messages(\/\d+)?|webhooks\/\d+\/[^/]+(\/messages\/.+)?)$/.test(call.path));
  for (const call of messages) expect(call.body?.allowed_mentions, `${call.method} ${call.path}`).toMatchObject({ parse: [] });
  const repliesThatPing = messages.filter((call) => call.body?.message_reference && call.body.allowed_mentions?.replied_user !== false);
  expect(repliesThatPing).toEqual([]);
}
