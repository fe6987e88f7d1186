/**
 * Compiles the bot (`src/index.ts` and what it imports) into one ES module per entry and lazy chunk
 * under `dist/<build>/`, packages left to load from node_modules, then points `dist/current` at it.
 * The pointer file is replaced in one rename, so a bot starting at the same moment loads either the
 * old build or the new one, never half of one; the two newest builds before it are kept for bots
 * still running from them (their platform adapters load lazily).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const distDir = path.join(root, 'dist');
export const currentFile = path.join(distDir, 'current');
const KEEP_BUILDS = 3;

export async function buildOnce() {
  const name = `build-${Date.now()}-${randomBytes(3).toString('hex')}`;
  await build({
    entryPoints: [path.join(root, 'src/index.ts')],
    bundle: true,
    // Packages load from node_modules as they are; only the bot's own modules are joined.
    packages: 'external',
    // The platform adapters and the database drivers stay separate chunks, loaded only when used.
    splitting: true,
    outdir: path.join(distDir, name),
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    logLevel: 'warning',
  });
  mkdirSync(distDir, { recursive: true });
  const pointer = `${currentFile}.${name}`;
  writeFileSync(pointer, name);
  renameSync(pointer, currentFile);
  const builds = readdirSync(distDir).filter((entry) => entry.startsWith('build-')).sort();
  for (const old of builds.slice(0, -KEEP_BUILDS)) rmSync(path.join(distDir, old), { recursive: true, force: true });
  return name;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildOnce();
