import { describe, expect, it } from 'vitest';
import { exposedNames } from '../../src/mcp/tool-names.js';

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

describe('exposed tool names', () => {
  it('keeps a name only one server has, and prefixes a shared one with each server', () => {
    expect(
      exposedNames([
        { server: 'files', toolName: 'read' },
        { server: 'files', toolName: 'search' },
        { server: 'web', toolName: 'search' },
      ]),
    ).toEqual(['read', 'files_search', 'web_search']);
  });

  it('replaces characters outside [a-zA-Z0-9_-] and treats names that become equal as shared', () => {
    expect(
      exposedNames([
        { server: 'my server', toolName: 'get.weather' },
        { server: 'other', toolName: 'get_weather' },
        { server: 'x', toolName: 'héllo wörld' },
      ]),
    ).toEqual(['my_server_get_weather', 'other_get_weather', 'h_llo_w_rld']);
  });

  it('truncates to 64 characters and keeps names unique', () => {
    const long = 'a'.repeat(80);
    const names = exposedNames([
      { server: 'one', toolName: long },
      { server: 'one', toolName: `${long}b` },
      { server: 'two', toolName: '' },
    ]);
    expect(names).toEqual(['a'.repeat(64), `${'a'.repeat(62)}_2`, 'tool']);
    expect(names.every((name) => VALID.test(name))).toBe(true);
  });

  it("never lets a prefixed name take a tool's own name", () => {
    expect(
      exposedNames([
        { server: 'a', toolName: 'echo' },
        { server: 'b', toolName: 'echo' },
        { server: 'c', toolName: 'a_echo' },
      ]),
    ).toEqual(['a_echo_2', 'b_echo', 'a_echo']);
  });
});
