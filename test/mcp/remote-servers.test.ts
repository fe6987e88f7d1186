import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteServerConfig, startRemoteFixture, type RemoteFixture } from '../fixtures/index.js';
import { startPool } from './pool-helpers.js';

const TOKEN = 'Bearer token-that-must-stay-out-of-logs';

describe('MCP pool with remote servers', () => {
  let http: RemoteFixture;
  let sse: RemoteFixture;

  beforeAll(async () => {
    [http, sse] = await Promise.all([startRemoteFixture({ transport: 'http' }), startRemoteFixture({ transport: 'sse' })]);
  });
  afterAll(async () => {
    await Promise.all([http?.close(), sse?.close()]);
  });

  it('calls tools over Streamable HTTP, sending the configured headers and never logging them', async () => {
    const { pool, logs } = await startPool([remoteServerConfig('web', http.url, { transport: 'http', headers: { Authorization: TOKEN, 'X-Fixture': 'yes' } })]);
    try {
      expect(pool.serverStates()).toEqual({ web: 'ready' });
      expect((await pool.callTool('add', { a: 4, b: 5 })).text).toBe('9');
      expect(http.requests.length).toBeGreaterThan(0);
      expect(http.requests.every((request) => request.headers.authorization === TOKEN && request.headers['x-fixture'] === 'yes')).toBe(true);
      expect(logs.items.length).toBeGreaterThan(0);
      expect(JSON.stringify(logs.items)).not.toContain('token-that-must-stay-out-of-logs');
    } finally {
      await pool.close();
    }
  });

  it('calls tools over SSE, with the headers on the event stream and on every message', async () => {
    const { pool } = await startPool([remoteServerConfig('legacy', sse.url, { transport: 'sse', headers: { 'X-Fixture': 'sse' } })]);
    try {
      expect((await pool.callTool('echo', { text: 'over sse' })).text).toBe('over sse');
      const sent = sse.requests.filter((request) => request.headers['x-fixture'] === 'sse');
      expect(sent.map((request) => request.method)).toEqual(expect.arrayContaining(['GET', 'POST']));
    } finally {
      await pool.close();
    }
  });

  it('falls back from Streamable HTTP to SSE when no transport is given', async () => {
    sse.requests.length = 0;
    const { pool, logs } = await startPool([remoteServerConfig('auto', sse.url)]);
    try {
      expect(pool.serverStates()).toEqual({ auto: 'ready' });
      expect(sse.requests[0]?.method).toBe('POST');
      expect(logs.filter((line) => line.server === 'auto' && line.msg === 'server ready')[0]?.transport).toBe('sse');
      expect((await pool.callTool('add', { a: 1, b: 2 })).text).toBe('3');
    } finally {
      await pool.close();
    }
  });

  it('uses Streamable HTTP when no transport is given and the server speaks it', async () => {
    const { pool, logs } = await startPool([remoteServerConfig('auto', http.url)]);
    try {
      expect(logs.filter((line) => line.server === 'auto' && line.msg === 'server ready')[0]?.transport).toBe('http');
    } finally {
      await pool.close();
    }
  });

  it('reconnects when the SSE stream breaks, failing calls fast until it is back', async () => {
    const { pool, events } = await startPool([remoteServerConfig('legacy', sse.url, { transport: 'sse' })]);
    try {
      sse.dropConnections();
      await events.waitFor((event) => event.type === 'restarting', { what: 'restarting' });
      expect(await pool.callTool('echo', { text: 'x' })).toMatchObject({ ok: false, text: 'server "legacy" is restarting, try again in a few seconds' });
      await events.waitFor((event) => event.type === 'restarted', { what: 'restarted' });
      expect((await pool.callTool('echo', { text: 'back' })).text).toBe('back');
    } finally {
      await pool.close();
    }
  });

  it('marks a server that refuses the connection failed and keeps the others', async () => {
    const { pool, logs } = await startPool([remoteServerConfig('down', 'http://127.0.0.1:1/mcp', { transport: 'http' }), remoteServerConfig('web', http.url)], { startupTimeoutMs: 3_000 });
    try {
      expect(pool.serverStates()).toEqual({ down: 'failed', web: 'ready' });
      expect(logs.filter((line) => line.msg === 'server failed to start; skipped for now').map((line) => line.server)).toEqual(['down']);
    } finally {
      await pool.close();
    }
  });
});
