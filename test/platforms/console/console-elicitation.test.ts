import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolResultText } from '../../fakes/fake-llm.js';
import { startEngineHarness, type EngineHarness } from '../../helpers/engine-harness.js';
import { runConsole } from './run-console.js';

describe("console adapter with a server's form (MCP elicitation; fixture server, fake LLM)", () => {
  let harness: EngineHarness;

  beforeAll(async () => {
    harness = await startEngineHarness({ script: (request) => toolResultText(request) ?? { toolCall: { tool: request.lastUserText.includes('visit') ? 'visit' : 'ask', arguments: {} } } });
  });
  afterAll(async () => {
    await harness?.close();
  });

  const run = (lines: string) => runConsole(harness.engine, harness.logger, lines);

  it('reads the next line as the form: name=value pairs, the defaults for the rest, re-asked until they fit', async () => {
    const { answers, questions } = await run('fill it in\ncopies=many\nname=Ada; color=Blue; urgent=yes\n');
    expect(answers).toEqual(['Result of ask:', 'accept {"name":"Ada","color":"blue","urgent":true,"copies":2}']);
    expect(questions).toContain('`fixture` asks, while running `ask`:\n> Who should the report be for?');
    expect(questions).toContain('Answer on one line as name=value; name=value (an empty line takes the defaults), or type decline.');
    expect(questions).toContain('Try again, or type decline.');
    expect(questions.match(/✅ Answered\./g)).toHaveLength(1);
  });

  it('shows a page to open (URL mode) with its link, the one at the keyboard being the asker, and an empty line says done', async () => {
    const { answers, questions } = await run('visit the page\n\n');
    expect(questions).toContain('Open https://fixture.example/sign-in?session=s3cret — then press Enter when you are done, or type decline.');
    expect(answers).toEqual(['Result of visit:', 'visit: accept']);
  });

  it('tells the server when the person types decline, and cancels a form still open when input ends', async () => {
    const { answers, questions } = await run('fill it in\ndecline\nand again\n');
    expect(answers).toEqual(['Result of ask:', 'decline', 'Result of ask:', 'cancel']);
    expect(questions).toContain('❌ Declined.');
    expect(questions).toContain('⏹️ Not answered: I could not wait for it.');
  });
});
