import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../helpers/bot-process.js';
import { Recorder } from '../helpers/recorder.js';

const MAX_KEPT_LINES = 100_000;

/** One JSON log line of a bot process, with the fields the harness reads. */
export interface BotLogLine {
  level: number;
  time: number;
  msg: string;
  threadKey?: string;
  question?: string;
  [field: string]: unknown;
}

export interface BotExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** A real bot process (`node scripts/start.mjs`, as `npm start` and the image run it), leader of its own process group. */
export interface BotProcess {
  /** bot-1, bot-2…: also its LLM_API_KEY, so the fake model knows which process asked. */
  name: string;
  port: number;
  child: ChildProcess;
  /** Its JSON log lines as they arrive. */
  logs: Recorder<BotLogLine>;
  /** Standard error lines that are not JSON (a start-up error, a stack trace). */
  otherOutput: string[];
  /** Log lines not kept once MAX_KEPT_LINES were (a process logging in a loop would fill the runner's memory). */
  droppedLines: number;
  /** Resolves once the bot logged `bot ready`; rejects if it exits first. */
  ready: Promise<void>;
  /** True from `bot ready` until it exits or is signalled to stop. */
  serving: boolean;
  exited: Promise<BotExit>;
  /** Undefined while it runs. */
  exit: BotExit | undefined;
}

/**
 * Starts the bot with `env` over this process's environment and platform tokens emptied (a developer's
 * own .env cannot add Discord). Detached, so the bot and the MCP servers it starts form one process
 * group that `killGroup` ends at once, as a crashed container or machine would.
 */
export function startBotProcess(name: string, port: number, env: Record<string, string>): BotProcess {
  const child = spawn(process.execPath, ['--max-semi-space-size=2', 'scripts/start.mjs'], {
    cwd: projectRoot,
    env: { ...process.env, DISCORD_TOKEN: '', SLACK_APP_TOKEN: '', LOG_LEVEL: 'info', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const logs = new Recorder<BotLogLine>();
  const otherOutput: string[] = [];
  let kept = 0;
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (kept >= MAX_KEPT_LINES) {
        bot.droppedLines += 1;
        continue;
      }
      kept += 1;
      if (!line.startsWith('{')) {
        if (line.trim()) otherOutput.push(line);
        continue;
      }
      try {
        logs.push(JSON.parse(line) as BotLogLine);
      } catch {
        otherOutput.push(line);
      }
    }
  });
  // Nothing is expected on standard output outside the console; read it so the pipe never fills.
  child.stdout!.resume();
  const bot: BotProcess = { name, port, child, logs, otherOutput, droppedLines: 0, ready: Promise.resolve(), serving: false, exited: Promise.resolve({ code: null, signal: null, at: 0 }), exit: undefined };
  bot.exited = new Promise((resolve) =>
    child.once('close', (code, signal) => {
      bot.exit = { code, signal, at: Date.now() };
      bot.serving = false;
      resolve(bot.exit);
    }),
  );
  bot.ready = Promise.race([
    logs.waitFor((line) => line.msg === 'bot ready', { timeoutMs: 60_000, what: `${name} to log "bot ready"` }).then(() => undefined),
    bot.exited.then((exit) => {
      throw new Error(`${name} exited before it was ready (code ${exit.code}, signal ${exit.signal}):\n${otherOutput.join('\n')}`);
    }),
  ]);
  bot.ready.then(
    () => (bot.serving = bot.exit === undefined),
    () => undefined,
  );
  return bot;
}

/** kill -9 of the bot's whole process group: the bot and its MCP servers vanish mid-work. */
export function killGroup(bot: BotProcess): void {
  bot.serving = false;
  if (bot.child.pid === undefined) return;
  try {
    process.kill(-bot.child.pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** SIGTERM to the bot alone, as a container runtime stopping it for a rolling restart sends it. */
export function terminate(bot: BotProcess): void {
  bot.serving = false;
  if (bot.exit) return;
  bot.child.kill('SIGTERM');
}

/**
 * SIGTERM, then its exit, within `withinMs`; past that the group is killed (kill -9) and the exit
 * reported as a time-out, so a bot that does not stop cannot hold the run.
 */
export async function terminateWithin(bot: BotProcess, withinMs: number): Promise<BotExit & { timedOut: boolean }> {
  terminate(bot);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([bot.exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), withinMs)))]);
  clearTimeout(timer);
  if (timedOut) killGroup(bot);
  return { ...(await bot.exited), timedOut };
}

/**
 * Stops every bot still running: SIGTERM, and kill -9 of its group for one still there after
 * `graceMs`. Also used on failure, so no bot or MCP server outlives a run.
 */
export async function stopAll(bots: BotProcess[], graceMs: number): Promise<void> {
  await Promise.all(
    bots.map(async (bot) => {
      if (bot.exit) return;
      terminate(bot);
      const timer = setTimeout(() => killGroup(bot), graceMs);
      await bot.exited;
      clearTimeout(timer);
      // Its MCP servers too, should the bot have left one behind.
      killGroup(bot);
    }),
  );
}
