/**
 * `npm start`: runs the bot as compiled JavaScript, compiling it first (scripts/build.mjs, esbuild, a
 * fraction of a second) when a source file is newer than the last build. A start after no change
 * compiles nothing and loads no compiler.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distDir = path.join(root, 'dist');
const currentFile = path.join(distDir, 'current');

function newestSource(dir) {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const full = path.join(dir, entry.name);
    const time = entry.isDirectory() ? newestSource(full) : entry.name.endsWith('.ts') ? statSync(full).mtimeMs : 0;
    return Math.max(newest, time);
  }, 0);
}

function currentBuild() {
  try {
    return { name: readFileSync(currentFile, 'utf8').trim(), builtAt: statSync(currentFile).mtimeMs };
  } catch {
    return undefined;
  }
}

let current = currentBuild();
if (!current || newestSource(path.join(root, 'src')) > current.builtAt) {
  const { buildOnce } = await import('./build.mjs');
  current = { name: await buildOnce(), builtAt: Date.now() };
}
// As under `npm start`, the project's own node_modules/.bin comes first on PATH, so servers_config.json
// can name installed servers by command (mcp-server-filesystem) when the bot is run as `node scripts/start.mjs`.
const binDir = path.join(root, 'node_modules', '.bin');
if (!(process.env.PATH ?? '').split(path.delimiter).includes(binDir)) process.env.PATH = [binDir, process.env.PATH].filter(Boolean).join(path.delimiter);
await import(pathToFileURL(path.join(distDir, current.name, 'index.js')).href);
