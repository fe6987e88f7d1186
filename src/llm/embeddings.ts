import type OpenAI from 'openai';
import type { Logger } from '../logging/logger.js';
import { toLlmError } from './llm-errors.js';
import { openAIClient, type EndpointSettings } from './openai-client.js';
import { LlmError } from './types.js';

/** Turns texts into vectors whose closeness says how alike their meanings are. */
export interface TextEmbedder {
  readonly model: string;
  /**
   * One vector per text, in the order given; a text longer than EMBEDDED_TEXT_MAX_CHARS is embedded
   * by its start. Sent in as few requests as OpenAI's limits allow, one after the other.
   * @throws RangeError when a text is blank (OpenAI refuses empty input)
   * @throws LlmError when the endpoint fails or answers something that is not one vector per text
   */
  embed(texts: readonly string[]): Promise<number[][]>;
}

/** OpenAI takes at most 2,048 inputs in one request. */
const MAX_INPUTS_PER_REQUEST = 2_048;
/** OpenAI's models take 8,192 tokens per input; a token is rarely shorter than a character. */
const EMBEDDED_TEXT_MAX_CHARS = 8_000;
/** OpenAI takes 300,000 tokens per request; characters bound tokens from above, with room to spare. */
const MAX_CHARS_PER_REQUEST = 100_000;

/** Consecutive runs of texts, each within the per-request limits. */
function batches(texts: string[]): string[][] {
  const result: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const text of texts) {
    if (current.length === MAX_INPUTS_PER_REQUEST || (current.length > 0 && chars + text.length > MAX_CHARS_PER_REQUEST)) {
      result.push(current);
      current = [];
      chars = 0;
    }
    current.push(text);
    chars += text.length;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/**
 * The embeddings model `model` (LLM_EMBEDDING_MODEL) on the chat model's endpoint (`POST
 * {LLM_BASE_URL}/embeddings`: OpenAI, Ollama's /v1/embeddings, vLLM, LiteLLM…), with its key, time-out
 * and retries.
 */
export function createEmbedder(endpoint: EndpointSettings, model: string, logger: Logger): TextEmbedder {
  const log = logger.child({ embeddingModel: model });
  const { client, facts: endpointFacts } = openAIClient(endpoint, log);
  const facts = { ...endpointFacts, modelVariable: 'LLM_EMBEDDING_MODEL', answerKind: 'a list of embeddings' };

  const request = async (inputs: string[]): Promise<number[][]> => {
    let response: OpenAI.CreateEmbeddingResponse;
    try {
      // Floats, not the SDK's default base64: not every compatible endpoint speaks base64.
      response = await client.embeddings.create({ model, input: inputs, encoding_format: 'float' });
    } catch (error) {
      throw toLlmError(error, facts);
    }
    const data = Array.isArray(response?.data) ? [...response.data].sort((a, b) => a.index - b.index) : [];
    const vectors = data.map((item) => item.embedding);
    if (vectors.length !== inputs.length || !vectors.every((vector) => Array.isArray(vector) && vector.length > 0 && vector.every((value) => typeof value === 'number'))) {
      throw new LlmError('bad_response', `LLM endpoint ${facts.endpoint} sent ${vectors.length} embeddings for ${inputs.length} texts, or ones that are not lists of numbers; check LLM_EMBEDDING_MODEL`);
    }
    return vectors;
  };

  return {
    model,
    async embed(texts) {
      if (texts.some((text) => text.trim() === '')) throw new RangeError('a text to embed is blank');
      const vectors: number[][] = [];
      for (const batch of batches(texts.map((text) => text.slice(0, EMBEDDED_TEXT_MAX_CHARS)))) vectors.push(...(await request(batch)));
      return vectors;
    },
  };
}
