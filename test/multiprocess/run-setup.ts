import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { projectRoot } from '../helpers/bot-process.js';
import { openRedisDatabase, type RedisDatabase } from '../helpers/redis-database.js';
import { killGroup, type BotProcess } from './bot-fleet.js';

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const fixtureServer = path.join(projectRoot, 'test/fixtures/fixture-server.ts');

/** What every several-processes run starts with: its Redis database, a servers file, a fresh build. */
export interface RunSetup {
  database: RedisDatabase;
  /** MCP_CONFIG: the fixture server, whose `add` asks the person first. */
  serversFile: string;
  /** The bot processes of the run, killed should the runner itself exit. */
  bots: BotProcess[];
}

/**
 * Empties the run's Redis database, writes its servers file and builds the bot once, so the processes
 * start from the same fresh build instead of each compiling; `cleanups` gets what undoes each.
 */
export async function setUpRun(redisDb: number, cleanups: (() => Promise<void>)[]): Promise<RunSetup> {
  const bots: BotProcess[] = [];
  const killAll = () => bots.forEach((bot) => killGroup(bot));
  process.once('exit', killAll);
  cleanups.push(async () => void process.off('exit', killAll));
  const database = await openRedisDatabase(redisDb);
  cleanups.push(() => database.close());
  const dir = await mkdtemp(path.join(tmpdir(), 'multiprocess-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const serversFile = path.join(dir, 'servers_config.json');
  await writeFile(serversFile, JSON.stringify({ mcpServers: { fixture: { command: process.execPath, args: ['--import', tsxLoader, fixtureServer], confirmTools: ['add'] } } }));
  await promisify(execFile)(process.execPath, ['scripts/build.mjs'], { cwd: projectRoot });
  return { database, serversFile, bots };
}
