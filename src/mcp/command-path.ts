import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds a server's command the way a shell would, on the PATH of the environment it will run in, so
 * a typo is reported as "not found" for that server instead of an opaque spawn error.
 */
export function resolveCommand(command: string, env: Record<string, string>, cwd: string): string {
  if (command.includes('/') || command.includes(path.sep)) {
    const candidate = path.resolve(cwd, command);
    if (isExecutable(candidate)) return candidate;
    throw new Error(`command \`${command}\` not found: ${candidate} is not an executable file`);
  }
  const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const extension of extensions) {
      const candidate = path.resolve(cwd, dir, command + extension);
      if (isExecutable(candidate)) return candidate;
    }
  }
  throw new Error(`command \`${command}\` not found on PATH`);
}
