import { describe, expect, it } from 'vitest';
import { AccessPolicy, OPEN_RULE, permits, type Asker } from '../../src/access/index.js';
import type { CatalogTool } from '../../src/mcp/types.js';

const asker = (fields: Partial<Asker> = {}): Asker => ({ userId: 'U1', personId: 'test:U1', roleIds: [], channelId: 'C1', direct: false, ...fields });
const tool = (server: string, toolName: string): CatalogTool => ({ name: toolName, server, toolName, description: '', inputSchema: { type: 'object' } });
const server = (name: string, fields: { allowUsers?: string[]; allowRoles?: string[]; allowChannels?: string[]; confirmTools?: string[] } = {}) => ({ name, confirmTools: [], ...fields });

describe('access rules', () => {
  it('admit everyone everywhere when every list is empty', () => {
    expect(permits(OPEN_RULE, asker())).toBe(true);
    expect(permits(OPEN_RULE, asker({ direct: true }))).toBe(true);
  });

  it('admit a listed user, or anyone holding a listed role', () => {
    const rule = { users: ['U1'], roles: ['R-eng'], channels: [] };
    expect(permits(rule, asker())).toBe(true);
    expect(permits(rule, asker({ userId: 'U2' }))).toBe(false);
    expect(permits(rule, asker({ userId: 'U2', roleIds: ['R-other', 'R-eng'] }))).toBe(true);
    expect(permits({ users: [], roles: ['R-eng'], channels: [] }, asker())).toBe(false);
  });

  it('limit channels, with `dm` standing for every direct message', () => {
    const rule = { users: [], roles: [], channels: ['C1'] };
    expect(permits(rule, asker())).toBe(true);
    expect(permits(rule, asker({ channelId: 'C2' }))).toBe(false);
    expect(permits(rule, asker({ channelId: 'D9', direct: true }))).toBe(false);
    expect(permits({ ...rule, channels: ['C1', 'dm'] }, asker({ channelId: 'D9', direct: true }))).toBe(true);
  });

  it('need both the person and the place when both are listed', () => {
    const rule = { users: ['U1'], roles: [], channels: ['C1'] };
    expect(permits(rule, asker({ channelId: 'C2' }))).toBe(false);
    expect(permits(rule, asker({ userId: 'U2' }))).toBe(false);
  });

  it('always admit the operator at the terminal', () => {
    expect(permits({ users: ['U1'], roles: [], channels: ['C1'] }, asker({ userId: 'console', channelId: 'console', operator: true }))).toBe(true);
  });
});

describe('access policy', () => {
  const catalog = [tool('files', 'write_file'), tool('files', 'read_file'), tool('memory', 'read_graph'), tool('open', 'echo')];
  const policy = new AccessPolicy(OPEN_RULE, [server('files', { allowUsers: ['U-admin'] }), server('memory', { allowChannels: ['C-ops'] }), server('open', { confirmTools: ['*'] })]);

  it("offers a restricted server's tools only to the people and channels it names", () => {
    const names = (someone: Asker) => policy.catalogFor(someone, catalog).map((entry) => `${entry.server}/${entry.toolName}`);
    expect(names(asker())).toEqual(['open/echo']);
    expect(names(asker({ userId: 'U-admin' }))).toEqual(['files/write_file', 'files/read_file', 'open/echo']);
    expect(names(asker({ userId: 'U-admin', channelId: 'C-ops' }))).toEqual(catalog.map((entry) => `${entry.server}/${entry.toolName}`));
  });

  it('hands askers with the same rights the same filtered array, so the prompt built for it is reused', () => {
    expect(policy.catalogFor(asker({ userId: 'A' }), catalog)).toBe(policy.catalogFor(asker({ userId: 'B' }), catalog));
    expect(policy.catalogFor(asker({ userId: 'A' }), catalog)).not.toBe(policy.catalogFor(asker({ userId: 'U-admin' }), catalog));
    expect(new AccessPolicy().catalogFor(asker(), catalog)).toBe(catalog);
  });

  it('asks first for the named tools of a server, or all of them with *', () => {
    const named = new AccessPolicy(OPEN_RULE, [server('files', { confirmTools: ['write_file'] })]);
    expect(named.needsConfirmation({ server: 'files', toolName: 'write_file' })).toBe(true);
    expect(named.needsConfirmation({ server: 'files', toolName: 'read_file' })).toBe(false);
    expect(policy.needsConfirmation({ server: 'open', toolName: 'anything' })).toBe(true);
    expect(policy.needsConfirmation({ server: 'memory', toolName: 'read_graph' })).toBe(false);
  });
});
