import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';

describe('LLM_EMBEDDING_MODEL', () => {
  let dir: string;
  let serversFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'embedding-settings-'));
    serversFile = path.join(dir, 'servers.json');
    await writeFile(serversFile, JSON.stringify({ mcpServers: {} }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is read trimmed, and unset (words alone) when absent or empty', async () => {
    expect((await loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: serversFile, LLM_EMBEDDING_MODEL: ' nomic-embed-text ' })).embeddingModel).toBe('nomic-embed-text');
    expect((await loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: serversFile, LLM_EMBEDDING_MODEL: '' })).embeddingModel).toBeUndefined();
    expect((await loadSettings({ LLM_MODEL: 'm', MCP_CONFIG: serversFile })).embeddingModel).toBeUndefined();
  });
});
