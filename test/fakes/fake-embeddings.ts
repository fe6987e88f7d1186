import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Recorder } from '../helpers/recorder.js';
import type { Refusal } from './openai-request-rules.js';

/**
 * The vectors for one embeddings request, one per input in order; or an HTTP error (500, 429…),
 * answered with an OpenAI-style error body unless `body` is given.
 */
export type EmbeddingScript = (inputs: string[]) => number[][] | { status: number; body?: string };

export interface EmbeddingRequest {
  // The request body as the client sent it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** The texts to embed (a single string input as a list of one). */
  inputs: string[];
  /** Set when a strict fake answered 400 as OpenAI would; the script was not asked. */
  refusal?: Refusal;
}

/** OpenAI takes at most this many inputs in one request. */
const MAX_INPUTS = 2_048;
const DIMENSIONS = 64;

/**
 * A deterministic stand-in for a real model: each lower-cased word adds 1 to the dimension its hash
 * picks, so texts that share words are close and texts that share none are orthogonal (mostly).
 */
export function hashedEmbeddings(inputs: string[]): number[][] {
  return inputs.map((input) => {
    const vector = new Array<number>(DIMENSIONS).fill(0);
    for (const word of input.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean)) {
      vector[createHash('sha256').update(word).digest().readUInt32BE(0) % DIMENSIONS]! += 1;
    }
    return vector;
  });
}

const INVALID_INPUT = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";

/** What OpenAI's embeddings endpoint answers with 400. */
export function embeddingsRefusalFor(body: Record<string, unknown>): Refusal | undefined {
  if (typeof body.model !== 'string' || body.model === '') return { message: 'you must provide a model parameter', param: null };
  const { input } = body;
  if (input === undefined) return { message: "'input' is a required property", param: null };
  const inputs = Array.isArray(input) ? input : [input];
  if (inputs.length === 0 || inputs.some((item) => typeof item !== 'string' || item === '')) return { message: INVALID_INPUT, param: null };
  if (inputs.length > MAX_INPUTS) return { message: `Too many inputs. The max number of inputs is ${MAX_INPUTS}.`, param: 'input' };
  if (body.encoding_format !== undefined && body.encoding_format !== 'float' && body.encoding_format !== 'base64') {
    return { message: `'${String(body.encoding_format)}' is not one of ['float', 'base64'] - 'encoding_format'`, param: 'encoding_format' };
  }
  return undefined;
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(value));
}

function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      try {
        resolve(JSON.parse(text) as Record<string, unknown>);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    request.on('error', reject);
  });
}

/** `POST /v1/embeddings` as OpenAI answers it: refusals first when strict, then the script's vectors (as floats, or base64 when asked). */
export async function answerEmbeddings(
  request: IncomingMessage,
  response: ServerResponse,
  fake: { strict: boolean; script: EmbeddingScript; requests: Recorder<EmbeddingRequest>; refusals: Refusal[] },
): Promise<void> {
  let body: Record<string, unknown>;
  try {
    body = await readJson(request);
  } catch {
    return sendJson(response, 400, { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null } });
  }
  const inputs = (Array.isArray(body.input) ? body.input : [body.input]).map(String);
  const record: EmbeddingRequest = { body, inputs, refusal: fake.strict ? embeddingsRefusalFor(body) : undefined };
  fake.requests.push(record);
  if (record.refusal) {
    fake.refusals.push(record.refusal);
    return sendJson(response, 400, { error: { message: record.refusal.message, type: 'invalid_request_error', param: record.refusal.param, code: null } });
  }
  const answer = fake.script(inputs);
  if (!Array.isArray(answer)) {
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(answer.body ?? JSON.stringify({ error: { message: `scripted ${answer.status}`, type: 'fake_error' } }));
    return;
  }
  const encode = (vector: number[]) => (body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector);
  const tokens = inputs.reduce((sum, input) => sum + input.split(/\s+/).length, 0);
  sendJson(response, 200, {
    object: 'list',
    data: answer.map((vector, index) => ({ object: 'embedding', index, embedding: encode(vector) })),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
