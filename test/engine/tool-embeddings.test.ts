import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSettings } from '../../src/config/index.js';
import { JsonToolProtocol } from '../../src/engine/json-protocol.js';
import { ModelRequests } from '../../src/engine/model-request.js';
import { createEmbedder, type TextEmbedder } from '../../src/llm/embeddings.js';
import type { Logger } from '../../src/logging/logger.js';
import type { CatalogTool } from '../../src/mcp/types.js';
import { hashedEmbeddings } from '../fakes/fake-embeddings.js';
import { startFakeLlm, type FakeLlm } from '../fakes/fake-llm.js';
import { TEST_ENGINE_SETTINGS } from '../helpers/engine-harness.js';
import { capturingLogger, testLogger } from '../helpers/logger.js';

function tool(server: string, name: string, description: string, args: string[] = []): CatalogTool {
  return {
    name,
    server,
    toolName: name,
    description,
    inputSchema: { type: 'object', properties: Object.fromEntries(args.map((arg) => [arg, { type: 'string' }])) },
  };
}

const FORECAST = tool('weather', 'get_forecast', 'Weather predictions for a city: rain, wind and temperature by hour.', ['city']);
const CALENDAR = tool('calendar', 'list_events', 'Lists the calendar events of today or tomorrow.', ['day']);
/** Forty tools, two of which matter to the question; only the calendar shares a word with it. */
const CATALOG: CatalogTool[] = [
  FORECAST,
  CALENDAR,
  ...Array.from({ length: 38 }, (_, index) => tool('files', `read_file_${index}`, `Reads file number ${index} from the disk and returns its text.`, ['path'])),
];
const QUESTION = 'should I take an umbrella to Oslo tomorrow?';

/** Four tools a request (find_tools among them), so the ranking decides what is offered. */
const SETTINGS: EngineSettings = { ...TEST_ENGINE_SETTINGS, toolsMaxPerTurn: 4 };

/** A model for which an umbrella and a forecast are close in meaning, though they share no word. */
function umbrellaKnowsWeather(inputs: string[]): number[][] {
  return hashedEmbeddings(inputs).map((vector, index) => [/umbrella|forecast/i.test(inputs[index]!) ? 20 : 0, ...vector]);
}

/** The tools the first request of a turn offers. */
async function offered(requests: ModelRequests, catalog: readonly CatalogTool[], question: string, log: Logger = testLogger()): Promise<string[]> {
  const tools = requests.turnTools(catalog, question, []);
  await requests.next(tools, [], [{ role: 'user', content: question }], false, log);
  return tools.current().tools.map((offer) => offer.name);
}

describe('ranking tools by meaning (LLM_EMBEDDING_MODEL)', () => {
  let fake: FakeLlm;
  const embedderFor = (logger: Logger = testLogger()): TextEmbedder =>
    createEmbedder({ baseUrl: fake.url, apiKey: 'test-key', timeoutMs: 10_000, maxRetries: 0 }, 'fake-embedding-model', logger);

  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterEach(() => {
    // Whatever a test did, the bot never sent what OpenAI refuses.
    expect(fake.refusals()).toEqual([]);
    fake.embeddingRequests.clear();
    fake.setEmbeddings(hashedEmbeddings);
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('offers a tool that words alone miss when the embeddings put it close to the question', async () => {
    fake.setEmbeddings(umbrellaKnowsWeather);
    const byWords = await offered(new ModelRequests(new JsonToolProtocol(), SETTINGS), CATALOG, QUESTION);
    const hybrid = await offered(new ModelRequests(new JsonToolProtocol(), SETTINGS, embedderFor()), CATALOG, QUESTION);
    expect(byWords).not.toContain('get_forecast');
    expect(hybrid).toContain('get_forecast');
    // The words' best match keeps its place beside it.
    expect(byWords).toContain('list_events');
    expect(hybrid).toContain('list_events');
    expect(fake.embeddingRequests.items.every((request) => request.body.model === 'fake-embedding-model' && request.body.encoding_format === 'float')).toBe(true);
  });

  it('falls back to the ranking by words, with one warning, when the embeddings endpoint fails', async () => {
    fake.setEmbeddings(() => ({ status: 500 }));
    const { logger, logs, rawLogs } = capturingLogger();
    const requests = new ModelRequests(new JsonToolProtocol(), SETTINGS, embedderFor(logger));
    const byWords = await offered(new ModelRequests(new JsonToolProtocol(), SETTINGS), CATALOG, QUESTION);

    expect(await offered(requests, CATALOG, QUESTION, logger)).toEqual(byWords);
    // The catalog and the question were asked for at once; both failed.
    await fake.embeddingRequests.waitFor((request) => request.inputs.length === 1, { what: "the question's embedding request" });
    expect(fake.embeddingRequests.items).toHaveLength(2);
    // The next turn does not wait on an endpoint that just failed, and says nothing more.
    expect(await offered(requests, CATALOG, 'read file number 3', logger)).toContain('read_file_3');
    expect(fake.embeddingRequests.items).toHaveLength(2);

    const warnings = logs.filter((line) => line.level >= 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/tool embeddings failed.*LLM_EMBEDDING_MODEL/);
    expect(warnings[0]!.err).toMatch(/500/);
    expect(rawLogs.join('')).not.toContain('test-key');
  });

  it('embeds each tool once per catalog and each turn once, also for an asker who sees part of the catalog', async () => {
    const requests = new ModelRequests(new JsonToolProtocol(), SETTINGS, embedderFor());
    const questions = ['read file number 7', 'what about file 8?', QUESTION];
    for (const question of questions) await offered(requests, CATALOG, question);
    await offered(requests, CATALOG.slice(0, 20), 'and file 9');

    const inputs = fake.embeddingRequests.items.flatMap((request) => request.inputs);
    expect(inputs).toHaveLength(CATALOG.length + questions.length + 1);
    for (const each of CATALOG) expect(inputs.filter((input) => input.startsWith(`${each.name}: `))).toHaveLength(1);
  });

  it('sends a catalog of more than 2,048 tools in several requests and gets every vector back in order', async () => {
    const texts = Array.from({ length: 2_100 }, (_, index) => `tool number ${index}`);
    const vectors = await embedderFor().embed(texts);
    expect(fake.embeddingRequests.items.map((request) => request.inputs.length)).toEqual([2_048, 52]);
    expect(vectors).toEqual(hashedEmbeddings(texts));
  });

  it('refuses a blank text itself instead of sending what OpenAI refuses', async () => {
    await expect(embedderFor().embed(['a tool', ' '])).rejects.toThrow(RangeError);
    expect(fake.embeddingRequests.items).toHaveLength(0);
  });
});
