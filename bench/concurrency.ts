import KeyvSqlite from '@keyv/sqlite';
import Keyv from 'keyv';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createChatModel } from '../src/llm/index.js';
import { describeTool, jsonModeSystemPrompt } from '../src/engine/system-prompt.js';
import { startFakeLlm, type LlmRequest } from '../test/fakes/fake-llm.js';
import { streamedContent } from './e2e-turn.js';
import { now } from './measure.js';
import { TEST_ENGINE_SETTINGS } from '../test/helpers/engine-harness.js';
import { BENCH_ASKER, logger, rawClient, SilentReply, sqliteStore, startPool } from './setup.js';
import { ConversationEngine } from '../src/engine/index.js';

export interface ConcurrencyFigures {
  concurrency_ratio: number;
  ordering_ok: boolean;
}

const LLM_LATENCY_MS = 200;
const fedBack = (request: LlmRequest) => String(request.messages.at(-1)?.content ?? '').startsWith('[tool] ');

/**
 * `threads` conversations at once, each a question → a 200 ms model reply calling `echo` → the tool →
 * a 200 ms model reply, through the engine (HTTP model client, MCP pool, SQLite store), against the
 * same conversations done directly and just as concurrently: fetch to the same fake model (streamed,
 * as the engine asks), the SDK's Client on one fixture process like the pool's, the history written
 * to SQLite through Keyv. Both
 * sides share the machine with the fake model and the tool server, so the ratio is the engine's own
 * cost. Also checks that one thread's messages are answered in order.
 */
export async function measureConcurrency(threads: number): Promise<ConcurrencyFigures> {
  const llm = await startFakeLlm((request) =>
    fedBack(request) ? { delayMs: LLM_LATENCY_MS, answer: `answer to ${request.lastUserText}` } : { delayMs: LLM_LATENCY_MS, answer: { toolCall: { tool: 'echo', arguments: { text: request.lastUserText } } } },
  );
  const pool = await startPool(['fixture']);
  const raw = await rawClient();
  const { store, close } = await sqliteStore();
  const rawDir = await mkdtemp(path.join(tmpdir(), 'bench-concurrency-'));
  const rawKv = new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${path.join(rawDir, 'raw.sqlite')}` }) });
  const engine = new ConversationEngine({
    llm: createChatModel({ baseUrl: llm.url, apiKey: 'bench', model: 'bench', timeoutMs: 30_000, maxRetries: 0, stream: true }, logger),
    tools: pool,
    history: store.history,
    // Test defaults: documented limits, but no per-person rate limit — the benchmark is one busy person.
    settings: TEST_ENGINE_SETTINGS,
    logger,
  });
  const system = jsonModeSystemPrompt(pool.tools().map(describeTool));
  // Streamed, as the engine asks for its answers (LLM_STREAM's default): the same bytes on the wire.
  const complete = async (messages: { role: string; content: string }[]) => {
    const body = JSON.stringify({ model: 'bench', messages, stream: true, stream_options: { include_usage: true } });
    const response = await fetch(`${llm.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer bench' }, body });
    return streamedContent(await response.text());
  };
  const directly = async (threadKey: string, text: string) => {
    const question = [{ role: 'system', content: system }, { role: 'user', content: text }];
    const call = JSON.parse(await complete(question)) as { tool: string; arguments: Record<string, unknown> };
    const result = await raw.callTool({ name: call.tool, arguments: call.arguments });
    const feedback = { role: 'user', content: `[tool] Result of ${call.tool}:\n${JSON.stringify(result.content)}` };
    const answer = await complete([...question, { role: 'assistant', content: JSON.stringify(call) }, feedback]);
    await rawKv.set(threadKey, [...question.slice(1), { role: 'assistant', content: JSON.stringify(call) }, feedback, { role: 'assistant', content: answer }]);
  };
  try {
    // The first requests in a process load fetch and warm both sides' connections.
    await Promise.all(Array.from({ length: 5 }, (_, index) => engine.handle({ threadKey: `bench:warm:${index}`, asker: BENCH_ASKER, text: 'warm up' }, new SilentReply())));
    await Promise.all(Array.from({ length: 5 }, (_, index) => directly(`raw:warm:${index}`, 'warm up')));

    let started = now();
    await Promise.all(Array.from({ length: threads }, (_, index) => engine.handle({ threadKey: `bench:many:${index}`, asker: BENCH_ASKER, text: `question ${index}` }, new SilentReply())));
    const engineWall = now() - started;
    started = now();
    await Promise.all(Array.from({ length: threads }, (_, index) => directly(`raw:many:${index}`, `question ${index}`)));
    const rawWall = now() - started;

    llm.setScript((request) => ({ delayMs: Math.floor(Math.random() * 20), answer: `answer to ${request.lastUserText}` }));
    const answered: string[] = [];
    const sent = Array.from({ length: 20 }, (_, index) => `message ${index}`);
    await Promise.all(
      sent.map((text) => {
        const reply = new SilentReply();
        return engine.handle({ threadKey: 'bench:ordered', asker: BENCH_ASKER, text }, reply).then(() => answered.push(reply.answer?.text ?? ''));
      }),
    );
    return { concurrency_ratio: engineWall / rawWall, ordering_ok: answered.join('|') === sent.map((text) => `answer to ${text}`).join('|') };
  } finally {
    await pool.close();
    await raw.close();
    await llm.close();
    await rawKv.disconnect();
    await close();
    await rm(rawDir, { recursive: true, force: true });
  }
}
