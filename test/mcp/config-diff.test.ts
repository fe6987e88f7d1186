import { describe, expect, it } from 'vitest';
import { diffServers } from '../../src/mcp/config-diff.js';
import { fixtureServerConfig, remoteServerConfig } from '../fixtures/index.js';

describe('the difference between the running servers and a reloaded file', () => {
  const files = fixtureServerConfig('files');
  const memory = fixtureServerConfig('memory');
  const remote = remoteServerConfig('remote', 'http://127.0.0.1:1/mcp');

  it('names added, removed, changed and unchanged servers', () => {
    const changedMemory = { ...memory, allowTools: ['echo'] };
    const diff = diffServers([files, memory, remote], [files, changedMemory, fixtureServerConfig('notes')]);
    expect(diff.added.map((server) => server.name)).toEqual(['notes']);
    expect(diff.removed).toEqual(['remote']);
    expect(diff.changed).toEqual([changedMemory]);
    expect(diff.unchanged).toEqual(['files']);
  });

  it('counts any field as a change, nested ones and list order included', () => {
    const cases = [{ timeoutMs: 5_000 }, { env: { ...files.env, EXTRA: '1' } }, { args: [...files.args].reverse() }, { confirmTools: ['echo'] }];
    for (const fields of cases) expect(diffServers([files], [{ ...files, ...fields }]).changed).toHaveLength(1);
    expect(diffServers([remote], [{ ...remote, headers: { Authorization: 'Bearer new' } }]).changed).toHaveLength(1);
  });

  it('treats an equal entry as unchanged whatever the order of its fields', () => {
    const reordered = Object.fromEntries(Object.entries(files).reverse()) as typeof files;
    expect(diffServers([files], [reordered])).toEqual({ added: [], removed: [], changed: [], unchanged: ['files'] });
  });

  it('treats a disabled server as absent: disabling removes it, enabling adds it', () => {
    expect(diffServers([files, memory], [files, { ...memory, disabled: true }]).removed).toEqual(['memory']);
    expect(diffServers([files], [files, memory]).added).toEqual([memory]);
  });
});
