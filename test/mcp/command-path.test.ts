import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCommand } from '../../src/mcp/command-path.js';

describe('finding a stdio server command', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'command-path-'));
    await mkdir(path.join(dir, 'bin'));
    await writeFile(path.join(dir, 'bin', 'my-server'), '#!/bin/sh\n');
    await chmod(path.join(dir, 'bin', 'my-server'), 0o755);
    await writeFile(path.join(dir, 'bin', 'not-executable'), '');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("looks on the PATH of the server's own environment, relative entries from its cwd", () => {
    expect(resolveCommand('my-server', { PATH: `/nowhere${path.delimiter}bin` }, dir)).toBe(path.join(dir, 'bin', 'my-server'));
  });

  it('takes a command with a slash as a path from the cwd', () => {
    expect(resolveCommand('./bin/my-server', {}, dir)).toBe(path.join(dir, 'bin', 'my-server'));
  });

  it('says clearly when the command is not there', () => {
    expect(() => resolveCommand('my-server', { PATH: '/nowhere' }, dir)).toThrow('command `my-server` not found on PATH');
    expect(() => resolveCommand('not-executable', { PATH: path.join(dir, 'bin') }, dir)).toThrow('command `not-executable` not found on PATH');
    expect(() => resolveCommand('./missing', {}, dir)).toThrow(`command \`./missing\` not found: ${path.join(dir, 'missing')} is not an executable file`);
  });
});
