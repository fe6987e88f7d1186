import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LlmSettings } from '../../src/config/index.js';
import { createChatModel, LlmError, type ChatModel } from '../../src/llm/index.js';
import { startFakeLlm, type FakeLlm } from '../fakes/fake-llm.js';
import { testLogger } from '../helpers/logger.js';

let llm: FakeLlm;
const settings = (overrides: Partial<LlmSettings> = {}): LlmSettings => ({
  baseUrl: llm.url,
  apiKey: 'sk-test',
  model: 'fake-model',
  timeoutMs: 5_000,
  maxRetries: 2,
  ...overrides,
});

async function failure(model: ChatModel): Promise<LlmError> {
  const error = await model.complete([{ role: 'user', content: 'hi' }]).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LlmError);
  return error as LlmError;
}

beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await llm?.close();
});
beforeEach(() => {
  llm.requests.clear();
});

describe('chat model against an OpenAI-compatible endpoint', () => {
  it('returns the text of a completion and sends the model and key', async () => {
    llm.setScript(() => 'Hello there');
    const reply = await createChatModel(settings(), testLogger()).complete([{ role: 'user', content: 'hi' }]);
    expect(reply).toEqual({ text: 'Hello there', toolCalls: [] });
    expect(llm.requests.items[0]?.body.model).toBe('fake-model');
    expect(llm.requests.items[0]?.authorization).toBe('Bearer sk-test');
    expect(llm.requests.items[0]?.body.tools).toBeUndefined();
  });

  it('works with endpoints that need no key', async () => {
    llm.setScript(() => 'fine');
    await createChatModel(settings({ apiKey: undefined }), testLogger()).complete([{ role: 'user', content: 'hi' }]);
    expect(llm.requests.items[0]?.authorization).toBe('Bearer not-needed');
  });

  it('passes tools and reads tool calls in native mode', async () => {
    llm.setScript(() => ({ nativeToolCalls: [{ name: 'add', arguments: { a: 1, b: 2 } }] }));
    const tools = [{ type: 'function' as const, function: { name: 'add', description: 'adds', parameters: { type: 'object' } } }];
    const reply = await createChatModel(settings(), testLogger()).complete([{ role: 'user', content: 'add' }], { tools });
    expect(reply.toolCalls).toEqual([{ id: expect.any(String), name: 'add', arguments: '{"a":1,"b":2}' }]);
    expect(llm.requests.items[0]?.body.tools).toEqual(tools);
  });

  it('waits as long as retry-after says on a 429, then succeeds', async () => {
    llm.setScript((request) => (request.index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : 'after waiting'));
    const reply = await createChatModel(settings(), testLogger()).complete([{ role: 'user', content: 'hi' }]);
    expect(reply.text).toBe('after waiting');
    const [first, second] = llm.requests.items;
    expect(second!.receivedAt - first!.respondedAt!).toBeGreaterThanOrEqual(950);
  });

  it('retries 5xx and then reports a server error', async () => {
    llm.setScript(() => ({ status: 503, headers: { 'retry-after-ms': '10' }, body: '{"error":{"message":"overloaded"}}' }));
    const error = await failure(createChatModel(settings({ maxRetries: 2 }), testLogger()));
    expect(error.kind).toBe('server_error');
    expect(error.message).toContain('overloaded');
    expect(llm.requests.items).toHaveLength(3);
  });

  it('says the key was rejected on 401, without retrying', async () => {
    llm.setScript(() => ({ status: 401, body: '{"error":{"message":"invalid api key"}}' }));
    const error = await failure(createChatModel(settings(), testLogger()));
    expect(error.kind).toBe('unauthorized');
    expect(error.message).toMatch(/rejected the key .*check LLM_API_KEY/);
    expect(error.message).not.toContain('sk-test');
    expect(llm.requests.items).toHaveLength(1);
  });

  it('names the model problem on 404', async () => {
    llm.setScript(() => ({ status: 404, body: '{"error":{"message":"model nope does not exist"}}' }));
    const error = await failure(createChatModel(settings(), testLogger()));
    expect(error.kind).toBe('bad_request');
    expect(error.message).toContain('model nope does not exist');
  });

  it('says the endpoint is unreachable when nothing listens', async () => {
    const error = await failure(createChatModel(settings({ baseUrl: 'http://127.0.0.1:1/v1', maxRetries: 0 }), testLogger()));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toMatch(/127\.0\.0\.1:1\/v1 is unreachable .*check LLM_BASE_URL/);
  });

  it('gives up on a slow endpoint after the time-out', async () => {
    llm.setScript(() => ({ delayMs: 1_000, answer: 'too late' }));
    const error = await failure(createChatModel(settings({ timeoutMs: 150, maxRetries: 0 }), testLogger()));
    expect(error.kind).toBe('timeout');
  });

  it('reports a malformed answer', async () => {
    llm.setScript(() => ({ malformed: true }));
    const error = await failure(createChatModel(settings({ maxRetries: 0 }), testLogger()));
    expect(error.kind).toBe('bad_response');
  });
});
