import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LlmSettings } from '../../src/config/index.js';
import { createChatModel, LlmError, type ChatModel, type CompleteOptions } from '../../src/llm/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { startFakeLlm, type FakeLlm } from '../fakes/fake-llm.js';
import { testLogger } from '../helpers/logger.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import { Recorder } from '../helpers/recorder.js';

const KEY = 'sk-test-secret-key';
let llm: FakeLlm;
const settings = (overrides: Partial<LlmSettings> = {}): LlmSettings => ({
  baseUrl: llm.url,
  apiKey: KEY,
  model: 'fake-model',
  timeoutMs: 5_000,
  maxRetries: 2,
  stream: true,
  ...overrides,
});
const hi = [{ role: 'user' as const, content: 'hi' }];

/** A port nothing listens on (not port 1: fetch refuses that one before connecting). */
async function closedPort(): Promise<number> {
  const server = await listenOnLoopback(createServer());
  await server.close();
  return server.port;
}

async function failure(model: ChatModel, options?: CompleteOptions): Promise<LlmError> {
  const error = await model.complete(hi, options).then(
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

describe('a chat model on an OpenAI-compatible endpoint', () => {
  it('returns the text of a completion and sends the model and key', async () => {
    llm.setScript(() => 'Hello there');
    const reply = await createChatModel(settings(), testLogger()).complete(hi);
    expect(reply).toEqual({ text: 'Hello there', toolCalls: [], finishReason: 'stop' });
    const [request] = llm.requests.items;
    expect(request?.body.model).toBe('fake-model');
    expect(request?.body.stream).toBeFalsy();
    expect(request?.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.body).not.toHaveProperty('tools');
  });

  it('works with endpoints that need no key', async () => {
    llm.setScript(() => 'fine');
    expect((await createChatModel(settings({ apiKey: undefined }), testLogger()).complete(hi)).text).toBe('fine');
    expect(llm.requests.items[0]?.authorization).toBe('Bearer not-needed');
  });

  it('passes tools and reads tool calls in native mode', async () => {
    llm.setScript(() => ({ nativeToolCalls: [{ name: 'add', arguments: { a: 1, b: 2 } }] }));
    const tools = [{ type: 'function' as const, function: { name: 'add', description: 'adds', parameters: { type: 'object' } } }];
    const reply = await createChatModel(settings(), testLogger()).complete([{ role: 'user', content: 'add' }], { tools });
    expect(reply).toEqual({ text: '', toolCalls: [{ id: expect.any(String), name: 'add', arguments: '{"a":1,"b":2}' }], finishReason: 'tool_calls' });
    expect(llm.requests.items[0]?.body.tools).toEqual(tools);
  });

  it('leaves `tools` out when the catalog is empty, which some endpoints reject', async () => {
    await createChatModel(settings(), testLogger()).complete(hi, { tools: [] });
    expect(llm.requests.items[0]?.body).not.toHaveProperty('tools');
  });

  it('logs duration, model and token usage at debug, and never the key', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    llm.setScript((request) => (request.index === 0 ? { status: 503, headers: { 'retry-after-ms': '1' } } : 'logged'));
    await createChatModel(settings(), createLogger('trace', sink)).complete(hi);
    const answered = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'LLM answered');
    expect(answered).toMatchObject({ level: 20, model: 'fake-model', promptTokens: 10, completionTokens: 5, ms: expect.any(Number) });
    expect(lines.some((line) => line.includes('retrying'))).toBe(true);
    expect(lines.join('')).not.toContain(KEY);
  });
});

describe('retries and time-outs', () => {
  it('waits as long as retry-after says on a 429, then succeeds', async () => {
    llm.setScript((request) => (request.index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : 'after waiting'));
    const reply = await createChatModel(settings(), testLogger()).complete(hi);
    expect(reply.text).toBe('after waiting');
    const [first, second] = llm.requests.items;
    expect(second!.receivedAt - first!.respondedAt!).toBeGreaterThanOrEqual(950);
  });

  it('reports rate limiting once the retries are spent', async () => {
    llm.setScript(() => ({ status: 429, headers: { 'retry-after-ms': '5' }, body: '{"error":{"message":"slow down"}}' }));
    const error = await failure(createChatModel(settings({ maxRetries: 2 }), testLogger()));
    expect(error.kind).toBe('rate_limited');
    expect(error.message).toContain('slow down');
    expect(llm.requests.items).toHaveLength(3);
  });

  it('does not wait out a retry-after of an hour, and says how long the endpoint asked for', async () => {
    llm.setScript(() => ({ status: 429, headers: { 'retry-after': '3600' }, body: '{"error":{"message":"daily quota spent"}}' }));
    const error = await failure(createChatModel(settings(), testLogger()));
    expect(error.kind).toBe('rate_limited');
    expect(error.message).toContain('it asks to wait 3600 s');
    expect(llm.requests.items).toHaveLength(1);
  });

  it('retries 5xx and then reports a server error with the endpoint message', async () => {
    llm.setScript(() => ({ status: 503, headers: { 'retry-after-ms': '10' }, body: '{"error":{"message":"overloaded"}}' }));
    const error = await failure(createChatModel(settings({ maxRetries: 2 }), testLogger()));
    expect(error.kind).toBe('server_error');
    expect(error.message).toMatch(/failed \(503: overloaded\) after 2 retries/);
    expect(llm.requests.items).toHaveLength(3);
  });

  it('asks a failing endpoint as often streamed as whole: the SDK retries once, never once more without streaming', async () => {
    llm.setScript(() => ({ status: 503, headers: { 'retry-after-ms': '10' }, body: '{"error":{"message":"overloaded"}}' }));
    const error = await failure(createChatModel(settings({ maxRetries: 2 }), testLogger()), { onContent: () => undefined });
    expect(error.kind).toBe('server_error');
    expect(llm.requests.items.map((request) => request.body.stream)).toEqual([true, true, true]);
  });

  it('gives up on an endpoint that sends no answer within the time-out', async () => {
    llm.setScript(() => ({ delayMs: 2_000, answer: 'too late' }));
    const error = await failure(createChatModel(settings({ timeoutMs: 150, maxRetries: 0 }), testLogger()));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('LLM_TIMEOUT_S');
  });

  it('gives up on an endpoint that sends headers and then stalls the body', async () => {
    // The body never ends, so only the client's own time-out can end the request.
    const hangUps = new Recorder<{ bodyEnded: boolean }>();
    const stalling = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id": "chatcmpl-1", ');
      request.socket.once('close', () => hangUps.push({ bodyEnded: response.writableEnded }));
    });
    const server = await listenOnLoopback(stalling);
    try {
      const error = await failure(createChatModel(settings({ baseUrl: `http://127.0.0.1:${server.port}/v1`, timeoutMs: 200, maxRetries: 0 }), testLogger()));
      expect(error.kind).toBe('timeout');
      // The client hung up on the half-sent body rather than leaving the connection open.
      expect(await hangUps.waitFor(() => true, { what: 'the client closing the stalled connection' })).toEqual({ bodyEnded: false });
    } finally {
      await server.close();
    }
  });

  it('stops when the caller aborts, without calling it an endpoint failure', async () => {
    llm.setScript(() => ({ delayMs: 2_000, answer: 'too late' }));
    const controller = new AbortController();
    const pending = createChatModel(settings(), testLogger()).complete(hi, { signal: controller.signal });
    await llm.requests.waitFor(() => true);
    controller.abort();
    const error = await pending.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(LlmError);
    expect(llm.requests.items).toHaveLength(1);
  });
});

describe('failures that say what to check', () => {
  it.each([401, 403])('says the key was rejected on %i, without retrying', async (status) => {
    llm.setScript(() => ({ status, body: '{"error":{"message":"invalid api key"}}' }));
    const error = await failure(createChatModel(settings(), testLogger()));
    expect(error.kind).toBe('unauthorized');
    expect(error.message).toMatch(/rejected the key .*invalid api key.*check LLM_API_KEY/);
    expect(error.message).not.toContain(KEY);
    expect(llm.requests.items).toHaveLength(1);
  });

  it.each([
    [400, 'messages must not be empty'],
    [404, 'model nope does not exist'],
    [422, 'unknown field'],
  ])('passes on the endpoint message for %i', async (status, message) => {
    llm.setScript(() => ({ status, body: JSON.stringify({ error: { message } }) }));
    const error = await failure(createChatModel(settings(), testLogger()));
    expect(error.kind).toBe('bad_request');
    expect(error.message).toContain(`(${status}: ${message}); check LLM_MODEL`);
    expect(llm.requests.items).toHaveLength(1);
  });

  it('says the endpoint is unreachable when nothing listens', async () => {
    const port = await closedPort();
    const error = await failure(createChatModel(settings({ baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }), testLogger()));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toBe(`LLM endpoint http://127.0.0.1:${port}/v1 is unreachable (connection refused); check LLM_BASE_URL`);
  });

  it('keeps credentials in the base URL out of the message', async () => {
    const port = await closedPort();
    const error = await failure(createChatModel(settings({ baseUrl: `http://user:hunter2@127.0.0.1:${port}/v1`, maxRetries: 0 }), testLogger()));
    expect(error.message).toContain(`http://127.0.0.1:${port}/v1 is unreachable`);
    expect(error.message).not.toContain('hunter2');
  });

  it('reports a malformed answer', async () => {
    llm.setScript(() => ({ malformed: true }));
    const error = await failure(createChatModel(settings({ maxRetries: 0 }), testLogger()));
    expect(error.kind).toBe('bad_response');
  });

  it.each([
    ['no choices', '{"object":"chat.completion","choices":[]}'],
    ['a JSON value that is not a completion', '"hello"'],
  ])('reports an answer with %s', async (_case, body) => {
    llm.setScript(() => ({ status: 200, body }));
    const error = await failure(createChatModel(settings(), testLogger()));
    expect(error.kind).toBe('bad_response');
    expect(error.message).toContain('without choices');
  });
});
