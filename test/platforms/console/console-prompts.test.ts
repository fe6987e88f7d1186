import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureServerConfig, INTRO_NOTE, libraryServerConfig } from '../../fixtures/index.js';
import { startEngineHarness, type EngineHarness } from '../../helpers/engine-harness.js';
import { runConsole } from './run-console.js';

describe('/prompt in the console', () => {
  let harness: EngineHarness;

  beforeAll(async () => {
    harness = await startEngineHarness({ servers: [libraryServerConfig('library'), fixtureServerConfig('fixture')], script: (request) => `model got: ${request.lastUserText}` });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('lists the prompts of every server that has them, with their arguments', async () => {
    const { answers } = await runConsole(harness.engine, harness.logger, '/prompt\n');
    expect(answers[0]).toMatch(/^Prompts \(run one with \/prompt <server>\/<name>/);
    expect(answers).toContain('  library/summarize topic=…; [style=…] — Asks for a summary of a topic, with the library note attached.');
    expect(answers).toContain('  library/greeting — Says hello.');
  });

  it('asks a filled prompt in the conversation, its embedded resource read as an attached file', async () => {
    const { answers } = await runConsole(harness.engine, harness.logger, '/prompt library/summarize topic=opening hours; style=detailed\n');
    expect(answers[0]).toMatch(/^model got: Summarize opening hours in a detailed style\./);
    const request = harness.llm.requests.items.at(-1)!;
    const asked = JSON.stringify(request.messages.at(-1));
    expect(asked).toContain('intro.txt');
    expect(asked).toContain(INTRO_NOTE);
  });

  it('takes a prompt by its bare name when one server has it', async () => {
    const { answers } = await runConsole(harness.engine, harness.logger, '/prompt greeting\n');
    expect(answers).toEqual(['model got: Say hello to the library.']);
  });

  it('says what a prompt needs when a required argument is missing, and asks nothing', async () => {
    const before = harness.llm.requests.items.length;
    const { answers } = await runConsole(harness.engine, harness.logger, '/prompt library/summarize style=brief\n');
    expect(answers).toEqual(['topic is required. Usage: /prompt library/summarize topic=…; [style=…]']);
    expect(harness.llm.requests.items).toHaveLength(before);
  });

  it('names no prompt it does not have', async () => {
    const { answers } = await runConsole(harness.engine, harness.logger, '/prompt library/nope\n');
    expect(answers).toEqual(['No prompt named "library/nope". /prompt lists them.']);
  });
});
