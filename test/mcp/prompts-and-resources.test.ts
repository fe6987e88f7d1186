import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUGE_NOTE_CHARS, INTRO_NOTE, libraryServerConfig, TINY_PDF } from '../fixtures/index.js';
import { startPool, type PoolUnderTest } from './pool-helpers.js';

describe('prompts and resources through the MCP pool', () => {
  let under: PoolUnderTest;

  beforeAll(async () => {
    under = await startPool([libraryServerConfig('library')]);
  });
  afterAll(async () => {
    await under?.pool.close();
  });

  it('lists the prompts of a server that declares them, with their arguments', () => {
    const summarize = under.pool.prompts().find((prompt) => prompt.name === 'summarize');
    expect(summarize).toEqual({
      server: 'library',
      name: 'summarize',
      title: 'Summarize a topic',
      description: 'Asks for a summary of a topic, with the library note attached.',
      arguments: [
        { name: 'topic', description: 'What to summarize', required: true },
        { name: 'style', description: 'brief or detailed', required: false },
      ],
    });
    expect(under.pool.prompts().map((prompt) => prompt.name)).toEqual(expect.arrayContaining(['greeting', 'picture']));
  });

  it('fills a prompt in with its arguments', async () => {
    const result = await under.pool.getPrompt('library', 'summarize', { topic: 'the opening hours', style: 'detailed' });
    expect(result.messages[0]?.content).toEqual({ type: 'text', text: 'Summarize the opening hours in a detailed style.' });
    expect(result.messages[1]?.content).toMatchObject({ type: 'resource', resource: { text: INTRO_NOTE } });
  });

  it('refuses a prompt of a server it does not know, naming it', async () => {
    await expect(under.pool.getPrompt('nowhere', 'summarize', {})).rejects.toThrow('there is no server named "nowhere"');
  });

  it('lists the prompts again when the server says they changed', async () => {
    await under.pool.callTool('add_prompt', { name: 'late' });
    await under.logs.waitFor((line) => line.msg === 'prompt list changed' && under.pool.prompts().some((prompt) => prompt.name === 'late'), { what: 'the new prompt listed' });
    expect(under.pool.prompts().find((prompt) => prompt.name === 'late')?.description).toBe('Added at run time: late.');
  });

  it('reads a linked text resource into the result', async () => {
    const outcome = await under.pool.callTool('find_note', {});
    expect(outcome.text).toBe(`found one note\n[resource library://notes/intro.txt (text/plain)]\n${INTRO_NOTE}`);
    expect(outcome.images).toEqual([]);
  });

  it('attaches a linked PDF as a file named after its URI', async () => {
    const outcome = await under.pool.callTool('find_report', {});
    expect(outcome.images).toEqual([{ data: TINY_PDF.toString('base64'), mimeType: 'application/pdf', filename: 'report.pdf' }]);
    expect(outcome.text).toContain('it will be attached for the user as report.pdf');
  });

  it('attaches an embedded PDF the same way', async () => {
    const outcome = await under.pool.callTool('embedded_report', {});
    expect(outcome.images).toEqual([{ data: TINY_PDF.toString('base64'), mimeType: 'application/pdf', filename: 'report.pdf' }]);
  });

  it('describes a linked text too long for a result instead of reading it in', async () => {
    const outcome = await under.pool.callTool('find_huge', {});
    expect(outcome.text).toBe(`[resource link "Huge note" library://notes/huge.txt (text/plain); not read: ${HUGE_NOTE_CHARS} characters, more than the 20000 a result may have]`);
  });

  it('describes a link the server cannot read, with why', async () => {
    const outcome = await under.pool.callTool('find_missing', {});
    expect(outcome.ok).toBe(true);
    expect(outcome.text).toMatch(/^\[resource link "Missing note" library:\/\/notes\/missing\.txt \(text\/plain\); could not be read: .*not found/i);
  });
});
