import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteServerConfig } from '../../src/config/index.js';
import { startRemoteFixture, type RemoteFixture } from '../fixtures/index.js';
import { startPool } from './pool-helpers.js';

const remote = (name: string, url: string, extra: Partial<RemoteServerConfig> = {}): RemoteServerConfig => ({ kind: 'remote', name, url, headers: {}, disabled: false, ...extra });

describe('MCP pool with remote servers', () => {
  let http: RemoteFixture;
  let sse: RemoteFixture;

  beforeAll(async () => {
    [http, sse] = await Promise.all([startRemoteFixture({ transport: 'http' }), startRemoteFixture({ transport: 'sse' })]);
  });
  afterAll(async () => {
    await Promise.all([http?.close(), sse?.close()]);
  });

  it('calls tools over Streamable HTTP with the configured headers', async () => {
    const { pool } = await startPool([remote('web', http.url, { transport: 'http', headers: { Authorization: 'Bearer remote-token', 'X-Fixture': 'yes' } })]);
    try {
      expect(pool.serverStates()).toEqual({ web: 'ready' });
      expect((await pool.callTool('add', { a: 4, b: 5 })).text).toBe('9');
      expect(http.seenHeaders.at(-1)).toEqual({ authorization: 'Bearer remote-token', 'x-fixture': 'yes' });
    } finally {
      await pool.close();
    }
  });

  it('calls tools over SSE', async () => {
    const { pool } = await startPool([remote('legacy', sse.url, { transport: 'sse', headers: { 'X-Fixture': 'sse' } })]);
    try {
      expect((await pool.callTool('echo', { text: 'over sse' })).text).toBe('over sse');
      expect(sse.seenHeaders.some((headers) => headers['x-fixture'] === 'sse')).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('falls back from Streamable HTTP to SSE when no transport is given', async () => {
    const { pool } = await startPool([remote('auto', sse.url)]);
    try {
      expect(pool.serverStates()).toEqual({ auto: 'ready' });
      expect((await pool.callTool('add', { a: 1, b: 2 })).text).toBe('3');
    } finally {
      await pool.close();
    }
  });

  it('marks an unreachable remote server failed and keeps going', async () => {
    const { pool } = await startPool([remote('down', 'http://127.0.0.1:1/mcp'), remote('web', http.url)], { startupTimeoutMs: 3_000 });
    try {
      expect(pool.serverStates()).toEqual({ down: 'failed', web: 'ready' });
    } finally {
      await pool.close();
    }
  });
});
