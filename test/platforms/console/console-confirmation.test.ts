import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolResultText } from '../../fakes/fake-llm.js';
import { fixtureServerConfig } from '../../fixtures/index.js';
import { startEngineHarness, type EngineHarness } from '../../helpers/engine-harness.js';
import { runConsole } from './run-console.js';

describe('console adapter with a tool that asks first (fixture server, fake LLM)', () => {
  let harness: EngineHarness;

  beforeAll(async () => {
    harness = await startEngineHarness({
      servers: [fixtureServerConfig('fixture', { confirmTools: ['add'] })],
      // The terminal is the operator's: allow lists naming platform ids do not shut it out.
      access: { users: ['U-someone'], roles: [], channels: ['C-elsewhere'] },
      script: (request) => toolResultText(request) ?? { toolCall: { tool: 'add', arguments: { a: 2, b: 3 } } },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('reads the line after a question as its answer: yes runs the tool, anything else does not', async () => {
    const { answers, questions } = await runConsole(harness.engine, harness.logger, 'add it\nyes\nadd it again\nno thanks\nand once more\n');
    expect(answers).toEqual([
      'Result of add:',
      '5',
      'Result of add:',
      'The user denied running add on fixture, so it was not run. Do not call it again unless they ask you to.',
      'Result of add:',
      // Input ended while the question was open: nobody is left to approve it.
      "Running add on fixture needs the user's approval, which could not be asked for right now, so it was not run.",
    ]);
    expect(questions).toContain('May I run `add` on `fixture`');
    expect(questions).toContain('Type yes to approve; anything else denies.');
    expect(questions.match(/✅ Approved/g)).toHaveLength(1);
    expect(questions.match(/❌ Denied/g)).toHaveLength(1);
    expect(questions).toContain('⏹️ Not run: I could not wait for an answer.');
  });
});
