import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineHarness, type EngineHarness } from '../../helpers/engine-harness.js';
import { runConsole } from './run-console.js';

describe('console commands', () => {
  let harness: EngineHarness;

  beforeAll(async () => {
    harness = await startEngineHarness({ script: (request) => `model got: ${request.lastUserText}` });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('answers /help and an unknown /command itself, and sends a line that starts with a path to the model', async () => {
    const { answers } = await runConsole(harness.engine, harness.logger, '/help\n/nope\n/etc/hosts has what?\n');
    expect(answers[0]).toMatch(/^Commands: \/tools \[server\]/);
    expect(answers[1]).toMatch(/^Unknown command \/nope\. Commands:/);
    expect(answers[2]).toBe('model got: /etc/hosts has what?');
    expect(harness.llm.requests.items).toHaveLength(1);
  });

  it('names the servers there are when /tools asks for one that is not', async () => {
    const { answers } = await runConsole(harness.engine, harness.logger, '/tools nosuch\n');
    expect(answers).toEqual(['No server named "nosuch". Servers: fixture.']);
  });
});
