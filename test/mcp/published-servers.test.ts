import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureServerConfig, publishedServerConfig } from '../fixtures/index.js';
import { startPool, type PoolUnderTest } from './pool-helpers.js';

describe('MCP pool with the published servers from npm', () => {
  let under: PoolUnderTest;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'published-servers-'));
    await writeFile(path.join(dir, 'hello.txt'), 'hello from disk');
    under = await startPool([
      publishedServerConfig('everything', 'everything'),
      publishedServerConfig('filesystem', 'files', [dir]),
      publishedServerConfig('memory', 'memory', [], { env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } }),
      fixtureServerConfig('fixture'),
    ]);
  });
  afterAll(async () => {
    await under?.pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts all of them and namespaces the echo both everything and the fixture offer', () => {
    expect(under.pool.serverStates()).toEqual({ everything: 'ready', files: 'ready', memory: 'ready', fixture: 'ready' });
    const names = under.pool.tools().map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['everything_echo', 'fixture_echo', 'get-sum', 'read_text_file', 'create_entities']));
    expect(names).not.toContain('echo');
  });

  it('calls the everything server', async () => {
    expect((await under.pool.callTool('everything_echo', { message: 'hi' })).text).toContain('hi');
    expect((await under.pool.callTool('get-sum', { a: 2, b: 3 })).text).toContain('5');
    const image = await under.pool.callTool('get-tiny-image', {});
    expect(image.images[0]?.mimeType).toBe('image/png');
  });

  it('reads embedded resources and resource links, and gives structured content as JSON', async () => {
    const reference = await under.pool.callTool('get-resource-reference', { resourceType: 'Text', resourceId: 1 });
    expect(reference.text).toMatch(/^\[resource demo:\/\/resource\/dynamic\/text\/1 \(text\/plain\)\]\nResource 1: This is a plaintext resource/m);
    // The everything server offers resources, so its links are read with resources/read.
    const links = await under.pool.callTool('get-resource-links', { count: 2 });
    expect(links.text).toMatch(/^\[resource demo:\/\/resource\/dynamic\/text\/2 \(text\/plain\)\]\nResource 2: This is a plaintext resource/m);
    const weather = await under.pool.callTool('get-structured-content', { location: 'Chicago' });
    expect(JSON.parse(weather.text)).toEqual({ temperature: expect.any(Number), conditions: expect.any(String), humidity: expect.any(Number) });
  });

  it('reads and writes files through the filesystem server, and reports its errors', async () => {
    expect((await under.pool.callTool('read_text_file', { path: path.join(dir, 'hello.txt') })).text).toContain('hello from disk');
    await under.pool.callTool('write_file', { path: path.join(dir, 'out.txt'), content: 'written by a tool' });
    expect(await readFile(path.join(dir, 'out.txt'), 'utf8')).toBe('written by a tool');
    const outside = await under.pool.callTool('read_text_file', { path: '/etc/hostname' });
    expect(outside.ok).toBe(false);
    expect(outside.text).toMatch(/denied|outside|not allowed/i);
  });

  it('keeps entities in the memory server', async () => {
    await under.pool.callTool('create_entities', { entities: [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }] });
    expect((await under.pool.callTool('search_nodes', { query: 'Ada' })).text).toContain('wrote the first program');
  });
});
