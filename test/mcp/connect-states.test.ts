import { randomBytes } from 'node:crypto';
import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import { CONNECT_LINK_TTL_MS, ConnectStates } from '../../src/mcp/personal/index.js';
import { SecretBox } from '../../src/store/secret-box.js';

const record = { server: 'tracker', person: 'slack:T1:U1', verifier: 'v'.repeat(43), discovery: undefined, client: { client_id: 'c1', client_secret: 'very-secret' } };

describe('connect link states', () => {
  it('gives a state back once, to one of several racing takers, and never after it expired', async () => {
    const states = new ConnectStates(new Keyv(), new SecretBox(randomBytes(32)));
    await states.save('s1', record);
    const taken = await Promise.all([states.take('s1'), states.take('s1'), states.take('s1')]);
    expect(taken.filter((value) => value !== undefined)).toEqual([expect.objectContaining({ server: 'tracker', person: 'slack:T1:U1' })]);
    expect(await states.take('s1')).toBeUndefined();

    const now = Date.now();
    await states.save('s2', record, now);
    expect(await states.take('s2', now + CONNECT_LINK_TTL_MS + 1)).toBeUndefined();
    expect(await states.take('')).toBeUndefined();
    expect(await states.take('never-made')).toBeUndefined();
  });

  it('keeps neither the state nor the verifier nor the client secret in clear, and refuses a record sealed with another key or changed', async () => {
    const kv = new Keyv();
    const states = new ConnectStates(kv, new SecretBox(randomBytes(32)));
    await states.save('state-in-clear?', record);
    const stored = JSON.stringify([...((kv.opts.store as Map<string, unknown>).entries())]);
    expect(stored).toContain('oauth-connect:');
    for (const secret of ['state-in-clear?', record.verifier, 'very-secret', 'slack:T1:U1']) expect(stored).not.toContain(secret);

    const other = new ConnectStates(kv, new SecretBox(randomBytes(32)));
    expect(await other.take('state-in-clear?')).toBeUndefined();
  });
});
