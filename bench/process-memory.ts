import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeDiscord } from '../test/fakes/fake-discord.js';
import { startFakeLlm } from '../test/fakes/fake-llm.js';
import { TOKEN } from '../test/platforms/discord/discord-bot.js';
import { fakeLlmEnv, projectRoot } from '../test/helpers/bot-process.js';

const MODEL_LATENCY_MS = 500;

/** What `npm start` gives node (its V8 flags, then the entry), read from package.json so the bench runs what operators run. */
function npmStartArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = scripts.start.split(/\s+/);
  if (command !== 'node') throw new Error(`npm start runs ${command}, not node: measure it another way`);
  return args;
}

/** Resident memory of a process, from /proc (Linux), in MB. */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/**
 * The bot process as deployed on Discord (discord.js against the fake Discord) with the sample
 * servers_config.json and its SQLite store: resident memory once ready, and the peak while 100
 * threads are answered at once by a model that takes 500 ms a reply.
 */
export async function measureProcessMemory(threads: number): Promise<{ rss_mb_idle: number; rss_mb_threads: number }> {
  const llm = await startFakeLlm((request) => ({ delayMs: MODEL_LATENCY_MS, answer: `answer to ${request.lastUserText}` }));
  const discord = await FakeDiscord.start();
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-memory-'));
  // The bot itself (not npm in front of it), so its pid is the one measured.
  const child = spawn(process.execPath, npmStartArguments(), {
    cwd: projectRoot,
    env: {
      ...process.env,
      ...fakeLlmEnv(llm),
      PATH: `${path.join(projectRoot, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
      DISCORD_TOKEN: TOKEN,
      DISCORD_API_URL: discord.apiUrl,
      SLACK_BOT_TOKEN: '',
      STORE_URL: `sqlite://${path.join(dir, 'bot.sqlite')}`,
      RATE_LIMIT_PER_MIN: '0',
      // /healthz and /metrics on a free port, as a deployment serves them.
      PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('close', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('"msg":"bot ready"')) resolve();
      });
      child.once('close', () => reject(new Error(`the bot exited before it was ready:\n${stderr.slice(-2000)}`)));
    });
    const pid = child.pid!;
    const idle = rssMb(pid);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
    try {
      const asked = Array.from({ length: threads }, (_, index) => discord.guildMessage(`question ${index}`));
      // One wait at a time: each looks at the calls already recorded first, so the order does not matter.
      for (const thread of asked) await discord.waitForCall('POST', new RegExp(`^/channels/${thread}/messages$`), (call) => String(call.body?.content ?? '').startsWith('answer to'), 60_000);
    } finally {
      clearInterval(sampler);
    }
    return { rss_mb_idle: idle, rss_mb_threads: Math.max(peak, rssMb(pid)) };
  } finally {
    child.kill('SIGTERM');
    await exited;
    await discord.close();
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  }
}
