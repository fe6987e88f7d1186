import { AccessPolicy, OPEN_RULE, type AccessRule, type ServerAccessConfig } from '../../src/access/index.js';
import type { EngineSettings } from '../../src/config/index.js';
import { ConversationEngine } from '../../src/engine/index.js';
import { createChatModel } from '../../src/llm/index.js';
import type { Store } from '../../src/store/types.js';
import { TEST_ENGINE_SETTINGS, type EngineHarness } from './engine-harness.js';

export interface EngineBesideOptions {
  settings?: Partial<EngineSettings>;
  /** Who may use the bot; open to everyone unless given. */
  access?: AccessRule;
  /** The servers' own access fields (allow lists, confirmTools), as servers_config.json would give this process. */
  servers?: ServerAccessConfig[];
  /** The store this process opened; the harness's own unless given. */
  store?: Store;
}

/**
 * The engine another bot process of the same deployment runs: the harness's fake LLM over HTTP through
 * the real client, its MCP servers, and its store (or one of its own), with settings of its own.
 * Nothing is started, so a test gets a restarted process, a replica or a shorter time-out cheaply.
 */
export function engineBeside(harness: EngineHarness, options: EngineBesideOptions = {}): ConversationEngine {
  const store = options.store ?? harness.store;
  return new ConversationEngine({
    llm: createChatModel({ baseUrl: harness.llm.url, apiKey: 'test-key', model: 'fake-model', timeoutMs: 10_000, maxRetries: 2, stream: true }, harness.logger),
    tools: harness.pool,
    history: store.history,
    settings: { ...TEST_ENGINE_SETTINGS, ...options.settings },
    logger: harness.logger,
    access: new AccessPolicy(options.access ?? OPEN_RULE, options.servers ?? []),
    kv: store.kv,
    bus: store.bus,
  });
}
