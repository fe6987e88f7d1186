import { AccessPolicy, OPEN_RULE, type AccessRule, type Asker } from '../../src/access/index.js';
import type { EngineSettings, LlmSettings, PersonalConnectionSettings, ServerConfig } from '../../src/config/index.js';
import type { SecretBox } from '../../src/store/secret-box.js';
import { ConversationEngine } from '../../src/engine/index.js';
import { createChatModel } from '../../src/llm/index.js';
import type { Logger } from '../../src/logging/logger.js';
import { McpPool } from '../../src/mcp/index.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { startFakeLlm, type FakeLlm, type FakeLlmOptions, type LlmScript } from '../fakes/fake-llm.js';
import { fixtureServerConfig } from '../fixtures/index.js';
import { testLogger } from './logger.js';
import { RecordingReply } from './recording-reply.js';
import { runCleanups } from './teardown.js';

/** The engine as tests run it: the documented defaults, with the per-person rate limit off. */
export const TEST_ENGINE_SETTINGS: EngineSettings = {
  toolMode: 'json',
  maxToolSteps: 8,
  maxToolResultChars: 20_000,
  maxInputChars: 8_000,
  vision: false,
  // Streams from the first reply; the learning of `auto` has tests of its own.
  repliesStartInReasoning: 'no',
  rateLimitPerMinute: 0,
  historyMaxMessages: 40,
  historyMaxChars: 24_000,
  confirmTimeoutMs: 300_000,
  elicitationTimeoutMs: 300_000,
  maxSamplesPerTurn: 3,
  toolsMaxPerTurn: 24,
  toolsPromptMaxChars: 10_000,
  contextTokens: undefined,
};

export interface EngineHarness {
  engine: ConversationEngine;
  llm: FakeLlm;
  pool: McpPool;
  /** The engine's access policy (ALLOWED_* and the servers' own lists), for a reload to update. */
  access: AccessPolicy;
  store: Store;
  logger: Logger;
  /** One message through the engine, as `asker` (someone admitted, by default) in `threadKey`; resolves with what the engine sent back. */
  ask(text: string, threadKey?: string, asker?: Asker): Promise<RecordingReply>;
  close(): Promise<void>;
}

export interface EngineHarnessOptions {
  script?: LlmScript;
  /** How the fake model behaves beyond its script (e.g. an endpoint that refuses to stream). */
  fakeLlm?: FakeLlmOptions;
  engine?: Partial<EngineSettings>;
  llm?: Partial<LlmSettings>;
  /** Defaults to one fixture server named `fixture`. */
  servers?: ServerConfig[];
  storeUrl?: string;
  /** Keyv's namespace in the store: processes of one deployment share one (see openStore). */
  storeNamespace?: string;
  /** Who may use the bot (ALLOWED_* as parsed); the servers' own allow lists and confirmTools always apply. */
  access?: AccessRule;
  /** Defaults to a silent one. */
  logger?: Logger;
  /** The pool's time-outs, where a test needs them short (10 s per call by default), and per-person connection limits. */
  mcp?: { defaultToolTimeoutMs?: number; maxTaskMs?: number; personal?: PersonalConnectionSettings };
  /** For OAuth servers: the bot's address for `/oauth/callback`, and the key sealing tokens in the store. */
  oauth?: { publicUrl: string; secrets?: SecretBox };
}

/** Someone asking in a channel; the bot admits them unless a test's access policy says otherwise. */
export function testAsker(userId = 'u1', place: Partial<Omit<Asker, 'userId'>> = {}): Asker {
  return { userId, personId: `test:${userId}`, roleIds: [], channelId: 'C-test', direct: false, ...place };
}

/** A real engine: fixture MCP server over stdio, fake OpenAI-compatible LLM over HTTP, in-memory store. */
export async function startEngineHarness(options: EngineHarnessOptions = {}): Promise<EngineHarness> {
  const logger = options.logger ?? testLogger();
  const cleanups: (() => Promise<void>)[] = [];
  const close = () => runCleanups(cleanups);
  try {
    const llm = await startFakeLlm(options.script, options.fakeLlm);
    cleanups.push(() => llm.close());
    // Checked last, after everything closed: whatever the test asserted, the bot sent OpenAI something it refuses.
    cleanups.unshift(async () => {
      const refusals = llm.refusals();
      if (refusals.length > 0) throw new Error(`the fake LLM refused ${refusals.length} request(s) as OpenAI would: ${refusals.map((refusal) => `${refusal.message} (${refusal.param})`).join('; ')}`);
    });
    const store = await openStore({ url: options.storeUrl ?? 'memory://', historyTtlMs: 60_000, ...(options.storeNamespace ? { namespace: options.storeNamespace } : {}) }, logger);
    cleanups.push(() => store.close());
    const servers = options.servers ?? [fixtureServerConfig('fixture')];
    const pool = await McpPool.start(
      { configPath: 'test', servers, startupTimeoutMs: 20_000, defaultToolTimeoutMs: 10_000, ...options.mcp },
      logger,
      options.oauth ? { oauth: { kv: store.kv, secrets: options.oauth.secrets, publicUrl: options.oauth.publicUrl } } : {},
    );
    cleanups.push(() => pool.close());
    const chatModel = createChatModel({ baseUrl: llm.url, apiKey: 'test-key', model: 'fake-model', timeoutMs: 10_000, maxRetries: 2, stream: true, ...options.llm }, logger);
    const access = new AccessPolicy(options.access ?? OPEN_RULE, servers);
    const engine = new ConversationEngine({
      llm: chatModel,
      tools: pool,
      history: store.history,
      settings: { ...TEST_ENGINE_SETTINGS, ...options.engine },
      logger,
      access,
      kv: store.kv,
      bus: store.bus,
      prompts: pool,
      accounts: pool.accounts,
    });
    const ask = async (text: string, threadKey = 'test:thread', asker = testAsker('u1')) => {
      const reply = new RecordingReply();
      await engine.handle({ threadKey, asker, text }, reply);
      return reply;
    };
    return { engine, llm, pool, access, store, logger, ask, close };
  } catch (error) {
    await close().catch((failed: unknown) => {
      throw new AggregateError([error, failed], 'the engine harness failed to start and then to clean up');
    });
    throw error;
  }
}
