import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashedEmbeddings } from '../fakes/fake-embeddings.js';
import { startFakeLlm, type FakeLlm } from '../fakes/fake-llm.js';

describe("the fake model's embeddings endpoint", () => {
  let fake: FakeLlm;
  const post = (body: unknown) => fetch(`${fake.url}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it.each([
    ['an empty string', { model: 'm', input: ['fine', ''] }],
    ['more than 2,048 inputs', { model: 'm', input: Array.from({ length: 2_049 }, () => 'x') }],
    ['no model', { input: ['fine'] }],
  ])('refuses %s with 400 and an OpenAI error body, as OpenAI does', async (_case, body) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ type: 'invalid_request_error', code: null });
    expect(typeof error.message).toBe('string');
    expect(error).toHaveProperty('param');
    expect(fake.refusals().at(-1)?.message).toBe(error.message);
  });

  it('answers one deterministic vector per input, in order, as floats or base64', async () => {
    const floats = (await (await post({ model: 'm', input: ['list the open issues', 'read a file'] })).json()) as { data: { index: number; embedding: number[] }[] };
    expect(floats.data.map((item) => item.index)).toEqual([0, 1]);
    expect(floats.data.map((item) => item.embedding)).toEqual(hashedEmbeddings(['list the open issues', 'read a file']));

    const base64 = (await (await post({ model: 'm', input: 'read a file', encoding_format: 'base64' })).json()) as { data: { embedding: string }[] };
    const decoded = new Float32Array(Uint8Array.from(Buffer.from(base64.data[0]!.embedding, 'base64')).buffer);
    expect([...decoded]).toEqual(hashedEmbeddings(['read a file'])[0]);
  });

  it('answers what the test scripts, errors included', async () => {
    fake.setEmbeddings(() => ({ status: 503 }));
    const response = await post({ model: 'm', input: 'anything' });
    expect(response.status).toBe(503);
    expect(fake.embeddingRequests.items.at(-1)?.inputs).toEqual(['anything']);
  });
});
