/**
 * `npm run conformance`: every client scenario of the official MCP conformance suite, the drafts of
 * the next revision included, run against `npm run mcp-probe` (the bot's own pool). One line per
 * scenario, then a total.
 * The suite needs Node 22; the `node` devDependency provides it, while the probe runs on ours.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import PQueue from 'p-queue';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const suite = require.resolve('@modelcontextprotocol/conformance/dist/index.js');
// Not node_modules/.bin/node: package.json's postinstall removes that link, which would put Node 22 in front of
// every npm script.
const node22 = path.join(projectRoot, 'node_modules/node/bin/node');
const PROBE = 'npm run -s mcp-probe --';
const SCENARIO_TIMEOUT_MS = 60_000;

async function clientScenarios(): Promise<string[]> {
  const { stdout } = await run(node22, [suite, 'list', '--client'], { cwd: projectRoot });
  return [...stdout.matchAll(/^\s+- (\S+) \[[^\]]*\]$/gm)].map(([, name]) => name ?? '');
}

async function runScenario(name: string): Promise<{ passed: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(node22, [suite, 'client', '--command', PROBE, '--scenario', name, '--timeout', String(SCENARIO_TIMEOUT_MS)], {
      cwd: projectRoot,
      maxBuffer: 32 * 1024 * 1024,
      timeout: SCENARIO_TIMEOUT_MS + 10_000,
    });
    return { passed: true, output: stdout + stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { passed: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}\n${failed.message}` };
  }
}

async function main(): Promise<void> {
  const scenarios = await clientScenarios();
  const logs = await mkdtemp(path.join(tmpdir(), 'mcp-conformance-'));
  // Two at a time: each starts the suite's servers and a probe process, on machines with two cores.
  const queue = new PQueue({ concurrency: 2 });
  let passed = 0;
  const results = await Promise.all(scenarios.map((name) => queue.add(async () => ({ name, ...(await runScenario(name)) }))));
  for (const { name, passed: ok, output } of results) {
    if (ok) {
      passed += 1;
      process.stdout.write(`✓ ${name}\n`);
      continue;
    }
    const log = path.join(logs, `${name.replace(/\W+/g, '_')}.log`);
    await writeFile(log, output);
    process.stdout.write(`✗ ${name} (what the suite saw: ${log})\n`);
  }
  process.stdout.write(`${passed} passed, ${scenarios.length - passed} failed\n`);
  process.exit(passed === scenarios.length ? 0 : 1);
}

void main();
