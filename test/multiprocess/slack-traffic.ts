import { createHmac } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeLlm } from '../fakes/fake-llm.js';
import { BOT_TOKEN, BOT_USER_ID, CHANNEL_ID, DM_CHANNEL_ID, FakeSlack, SIGNING_SECRET, TEAM_ID, USER_ID, type SlackMessage } from '../fakes/fake-slack.js';
import { freePort } from '../helpers/free-port.js';
import { startRoundRobinProxy, UPSTREAM_HEADER, type RoundRobinProxy } from '../helpers/round-robin-proxy.js';
import { runCleanups } from '../helpers/teardown.js';
import { killGroup, startBotProcess, stopAll, terminateWithin, type BotProcess } from './bot-fleet.js';
import { setUpRun } from './run-setup.js';
import { ScriptedModel } from './scripted-model.js';
import { SlackOutcomes } from './slack-outcomes.js';
import { planThreads, seededRandom, type PlannedMessage, type PlannedThread, type TrafficPlan } from './traffic-plan.js';
import { judge, reportLines, type Delivery, type Press, type ProcessEvent, type SentMessage, type TrafficReport } from './traffic-report.js';

export interface TrafficRun {
  report: TrafficReport;
  lines: string[];
  /** Where the bots' logs and the problem messages' histories were written, when there were problems. */
  logsDir: string | undefined;
}

/** Slack counts an event undelivered when no 2xx comes within 3 s, and tries again (up to 3 retries). */
const SLACK_ACK_TIMEOUT_MS = 3_000;
const SLACK_RETRIES = 3;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Message timestamps as Slack writes them (seconds.microseconds), increasing, so a thread's order is its messages' ts order. */
function timestamps(): () => string {
  let last = 0;
  return () => {
    last = Math.max(Date.now() * 1000, last + 1);
    return `${Math.floor(last / 1e6)}.${String(last % 1e6).padStart(6, '0')}`;
  };
}

/** A POST to /slack/events signed as Slack signs it, within Slack's 3 s; status 0 when none came in time. */
async function postSigned(port: number, body: string, contentType: string, retryNum: number): Promise<{ status: number; upstream: number | undefined }> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signature,
        ...(retryNum > 0 ? { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_timeout' } : {}),
      },
      body,
      signal: AbortSignal.timeout(SLACK_ACK_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return { status: response.status, upstream: Number(response.headers.get(UPSTREAM_HEADER)) || port };
  } catch {
    return { status: 0, upstream: undefined };
  }
}

const ok = (status: number) => status >= 200 && status < 300;

/**
 * Several real bot processes on one Redis database, in Slack HTTP mode behind a round-robin proxy,
 * answering many threads at once while one process is killed with kill -9 and another gets SIGTERM
 * (and is replaced, as in a rolling restart). Everything is judged from what the fake Slack and the
 * fake model recorded; everything started is stopped, and the database emptied, whatever happens.
 */
export async function runSlackTraffic(plan: TrafficPlan, say: (line: string) => void = () => undefined): Promise<TrafficRun> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const { database, serversFile, bots } = await setUpRun(plan.redisDb, cleanups);
    const threads = planThreads(plan);
    const planned = new Map(threads.flatMap((thread) => thread.messages).map((message) => [message.id, message]));
    const model = new ScriptedModel(planned);
    const llm = await startFakeLlm(model.script);
    cleanups.push(() => llm.close());
    const slack = await FakeSlack.start();
    cleanups.push(() => slack.close());
    const outcomes = new SlackOutcomes(slack);
    const processEvents: ProcessEvent[] = [];
    const fleet = new EventEmitter();
    cleanups.push(() => stopAll(bots, 5_000));
    const startBot = async (name: string): Promise<BotProcess> => {
      const env = {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        STORE_URL: database.url,
        LLM_BASE_URL: llm.url,
        LLM_API_KEY: name,
        LLM_MODEL: 'fake-model',
        MCP_CONFIG: serversFile,
        TURN_LEASE_S: String(plan.leaseS),
        SHUTDOWN_TIMEOUT_S: String(plan.shutdownTimeoutS),
        RATE_LIMIT_PER_MIN: '0',
        CONFIRM_TIMEOUT_S: '60',
        LOG_LEVEL: process.env.MULTIPROCESS_LOG_LEVEL ?? 'info',
      };
      const bot = startBotProcess(name, await freePort(), env);
      bots.push(bot);
      processEvents.push({ name, what: 'started', at: Date.now() });
      bot.ready.then(
        () => fleet.emit('ready', bot),
        () => undefined,
      );
      return bot;
    };
    for (let n = 1; n <= plan.processes; n += 1) await startBot(`bot-${n}`);
    await Promise.all(bots.map((bot) => bot.ready));
    say(`${bots.length} bot processes ready on ports ${bots.map((bot) => bot.port).join(', ')}`);
    const proxy = await startRoundRobinProxy(bots.map((bot) => bot.port));
    cleanups.push(() => proxy.close());

    const run = new TrafficDriver(plan, threads, bots, proxy, slack, outcomes, model, fleet);
    outcomes.onQuestion((question) => run.pressElsewhere(question.message, question.value));
    const startedAt = Date.now();
    say(`sending ${planned.size} messages in ${plan.threads} threads over ${plan.durationMs / 1000} s`);
    const disruption = disrupt(plan, startedAt, bots, proxy, model, llm.requests, processEvents, startBot, say);
    await Promise.all(threads.map((thread) => run.thread(thread, startedAt)));
    await run.redeliveriesDone();
    say(`all sent; waiting up to ${plan.outcomeTimeoutMs / 1000} s for the last answers`);
    await outcomes.until(() => run.allSettled(), plan.outcomeTimeoutMs);
    await disruption;
    // A late second answer (a turn run twice) would come within a lease or two: watched for, bounded.
    await pause(plan.settleMs);
    await stopAtEnd(plan, bots, processEvents);
    const report = judge({ plan, threads, sent: run.sent, outcomes, slack, modelCalls: model.calls, presses: run.presses, processEvents, startedAt, endedAt: Date.now() });
    const logsDir = report.problems.length > 0 ? await writeDiagnostics(report, run, bots, model, await database.snapshot()) : undefined;
    const lines = [...reportLines(report), ...(logsDir ? [`logs and the problem messages' histories: ${logsDir}`] : [])];
    return { report, lines, logsDir };
  } finally {
    await runCleanups(cleanups);
  }
}

/** Sends each thread's messages as a person would, and presses Approve where asked. */
class TrafficDriver {
  readonly sent = new Map<string, SentMessage>();
  readonly presses: Press[] = [];
  private readonly redeliveries: Promise<void>[] = [];
  private readonly nextTs = timestamps();
  private readonly random: () => number;
  private pressRotation = 0;

  constructor(
    private readonly plan: TrafficPlan,
    private readonly threads: PlannedThread[],
    private readonly bots: BotProcess[],
    private readonly proxy: RoundRobinProxy,
    private readonly slack: FakeSlack,
    private readonly outcomes: SlackOutcomes,
    private readonly model: ScriptedModel,
    /** Emits `ready` when a process started during the run is ready. */
    private readonly fleet: EventEmitter,
  ) {
    this.random = seededRandom(plan.seed + 1);
  }

  /** One thread: each message when it is due, after the previous one was acknowledged (and answered, where the plan says so). */
  async thread(thread: PlannedThread, startedAt: number): Promise<void> {
    let threadTs = '';
    for (const planned of thread.messages) {
      await pause(startedAt + planned.dueMs - Date.now());
      const previous = thread.messages[planned.index - 1];
      if (planned.waitsForPrevious && previous) await this.outcomes.until(() => this.hasOutcome(previous), 30_000);
      if (planned.index === 0 && thread.kind === 'dm') threadTs = this.nextTs();
      const ts = this.nextTs();
      if (planned.index === 0 && thread.kind === 'channel') threadTs = ts;
      const channel = thread.kind === 'dm' ? DM_CHANNEL_ID : CHANNEL_ID;
      const message: SentMessage = { planned, threadKey: `slack:${TEAM_ID}:${channel}:${threadTs}`, threadTs, ts, firstSentAt: Date.now(), acceptedAt: undefined, deliveries: [] };
      this.sent.set(planned.id, message);
      const text = `${planned.id}: ${planned.kind === 'text' ? 'a question' : planned.kind === 'tool' ? 'a question for the slow tool' : 'a sum that asks first'}`;
      if (thread.kind === 'dm') {
        await this.deliver(message, { type: 'message', channel, channel_type: 'im', user: USER_ID, text, ts, thread_ts: threadTs }, true);
      } else if (planned.index === 0) {
        // A mention: Slack sends app_mention and a message event with the same text and ts.
        const mention = `<@${BOT_USER_ID}> ${text}`;
        await this.deliver(message, { type: 'app_mention', channel, user: USER_ID, text: mention, ts }, true);
        await this.deliver(message, { type: 'message', channel, channel_type: 'channel', user: USER_ID, text: mention, ts }, false);
      } else {
        await this.deliver(message, { type: 'message', channel, channel_type: 'channel', user: USER_ID, text, ts, thread_ts: threadTs }, true);
      }
    }
  }

  /** Delivers an event as Slack does: again with x-slack-retry-num when no 2xx came (3 retries), and now and then again after it was acknowledged. */
  private async deliver(message: SentMessage, event: Record<string, unknown>, accepts: boolean): Promise<void> {
    const eventId = `Ev${message.planned.id}${event.type === 'app_mention' ? 'a' : 'm'}`;
    const body = JSON.stringify(this.slack.eventCallback(event, eventId));
    const post = async (retryNum: number, redelivery: boolean) => {
      const { status, upstream } = await postSigned(this.proxy.port, body, 'application/json', retryNum);
      message.deliveries.push({ eventId, retryNum, status, process: this.nameOf(upstream), at: Date.now(), redelivery });
      return ok(status);
    };
    for (let retryNum = 0; retryNum <= SLACK_RETRIES; retryNum += 1) {
      if (!(await post(retryNum, false))) continue;
      if (accepts) message.acceptedAt ??= Date.now();
      if (this.random() < this.plan.redeliveryShare) this.redeliveries.push(pause(this.random() * 2_000).then(async () => void (await post(retryNum + 1, true))));
      return;
    }
  }

  /**
   * Approve, pressed on another process than the one whose turn asked (the one that last asked the
   * model about the message), straight to that process's port rather than through the balancer. A
   * press that gets no 2xx is pressed again on the next process, as a person clicks again.
   */
  pressElsewhere(questionMessage: SlackMessage, value: string): void {
    const message = [...this.sent.values()].findLast((candidate) => candidate.threadTs === questionMessage.threadTs && candidate.planned.kind === 'confirm');
    const id = message?.planned.id;
    const turnProcess = id === undefined ? undefined : this.model.lastProcessFor(id);
    const body = new URLSearchParams({ payload: JSON.stringify(this.slack.blockAction(questionMessage, 'confirm_approve', value, USER_ID)) }).toString();
    const press = async () => {
      for (let tries = 0; tries < 3; tries += 1) {
        // Right after a kill and a SIGTERM the turn's process may be the only one serving: the press waits for the replacement.
        const target = await this.anotherServing(turnProcess);
        if (!target) return;
        const { status } = await postSigned(target.port, body, 'application/x-www-form-urlencoded', 0);
        this.presses.push({ id, question: value, turnProcess, pressProcess: target.name, status });
        if (ok(status)) return;
      }
    };
    this.redeliveries.push(press());
  }

  /** A serving process other than `except`, in turn; waits up to 30 s for one to be ready. */
  private async anotherServing(except: string | undefined): Promise<BotProcess | undefined> {
    const pick = () => {
      const others = this.bots.filter((bot) => bot.serving && bot.name !== except);
      return others[this.pressRotation++ % Math.max(1, others.length)];
    };
    const deadline = Date.now() + 30_000;
    let target = pick();
    while (!target && Date.now() < deadline) {
      await this.nextReady(deadline - Date.now());
      target = pick();
    }
    return target;
  }

  /** Resolves when a process started during the run is ready, or after `ms`. */
  private nextReady(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.fleet.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.fleet.on('ready', done);
    });
  }

  async redeliveriesDone(): Promise<void> {
    // New ones may be added while earlier ones finish.
    for (let done = 0; done < this.redeliveries.length; done = this.redeliveries.length) await Promise.all(this.redeliveries);
  }

  /** Whether the message has its answer, or its thread an interrupted-tool message from after it was sent. */
  hasOutcome(planned: PlannedMessage): boolean {
    const message = this.sent.get(planned.id);
    if (!message) return false;
    return this.outcomes.answers.has(planned.id) || this.outcomes.interruptionsIn(message.threadTs).some((interruption) => interruption.at >= message.firstSentAt);
  }

  /** Every thread has as many answers and interruptions as it has accepted messages. */
  allSettled(): boolean {
    return this.threads.every((thread) => {
      const messages = thread.messages.map((planned) => this.sent.get(planned.id)).filter((message) => message?.acceptedAt !== undefined);
      const answered = messages.filter((message) => this.outcomes.answers.has(message!.planned.id)).length;
      const interrupted = messages[0] ? this.outcomes.interruptionsIn(messages[0].threadTs).length : 0;
      return answered + interrupted >= messages.length;
    });
  }

  private nameOf(port: number | undefined): string | undefined {
    if (port === undefined) return undefined;
    return (this.bots.findLast((bot) => bot.port === port && bot.exit === undefined) ?? this.bots.findLast((bot) => bot.port === port))?.name;
  }
}

/**
 * Mid-run: kill -9 of one process group (one running a tool call when there is such, so a take-over
 * meets a started tool), then SIGTERM of another, replaced by a new process once it has exited.
 */
async function disrupt(
  plan: TrafficPlan,
  startedAt: number,
  bots: BotProcess[],
  proxy: RoundRobinProxy,
  model: ScriptedModel,
  modelRequests: { waitFor(predicate: () => boolean, options: { timeoutMs: number }): Promise<unknown> },
  events: ProcessEvent[],
  startBot: (name: string) => Promise<BotProcess>,
  say: (line: string) => void,
): Promise<void> {
  // Neither stopping nor stopped: killGroup and terminate take a process out of service at once.
  const alive = () => bots.filter((bot) => bot.serving);
  if (plan.killAt !== undefined) {
    await pause(startedAt + plan.killAt * plan.durationMs - Date.now());
    const midTool = () => model.processesMidTool().find((entry) => alive().some((bot) => bot.name === entry.process));
    // Checked again on each request the model gets, for a few seconds at most.
    if (!midTool()) await modelRequests.waitFor(() => midTool() !== undefined, { timeoutMs: 5_000 }).catch(() => undefined);
    const entry = midTool();
    const victim = alive().find((bot) => bot.name === entry?.process) ?? alive()[0];
    if (victim) {
      killGroup(victim);
      events.push({ name: victim.name, what: 'kill -9', at: Date.now(), midTool: entry?.ids ?? [] });
      say(`kill -9 ${victim.name} (mid-tool: ${entry?.ids.join(', ') ?? 'none'})`);
      void victim.exited.then(() => proxy.remove(victim.port));
    }
  }
  if (plan.terminateAt !== undefined) {
    await pause(startedAt + plan.terminateAt * plan.durationMs - Date.now());
    // The busiest process: the one that asked the model most in the last two seconds.
    const recent = (bot: BotProcess) => model.calls.filter((call) => call.process === bot.name && call.at > Date.now() - 2_000).length;
    const victim = alive().sort((a, b) => recent(b) - recent(a))[0];
    if (victim && alive().length > 1) {
      const at = Date.now();
      say(`SIGTERM ${victim.name}`);
      const exit = await terminateWithin(victim, stopLimitMs(plan));
      events.push({ name: victim.name, what: 'SIGTERM', at, code: exit.timedOut ? null : exit.code, exitMs: exit.at - at });
      say(`${victim.name} ${exit.timedOut ? 'had not exited and was killed' : `exited with ${exit.code ?? exit.signal}`} after ${exit.at - at} ms`);
      proxy.remove(victim.port);
      const replacement = await startBot(`bot-${bots.length + 1}`);
      await replacement.ready;
      proxy.add(replacement.port);
      say(`${replacement.name} joined (rolling restart)`);
    }
  }
}

/** How long a SIGTERMed process may take to exit before the run kills it: its shutdown time, and some. */
const stopLimitMs = (plan: TrafficPlan) => plan.shutdownTimeoutS * 1000 + 15_000;

/** SIGTERM to every process still running, each expected to exit 0 within its shutdown time. */
async function stopAtEnd(plan: TrafficPlan, bots: BotProcess[], events: ProcessEvent[]): Promise<void> {
  await Promise.all(
    bots
      .filter((bot) => bot.exit === undefined)
      .map(async (bot) => {
        const at = Date.now();
        const exit = await terminateWithin(bot, stopLimitMs(plan));
        events.push({ name: bot.name, what: 'stopped at the end', at, code: exit.timedOut ? null : exit.code, exitMs: exit.at - at });
      }),
  );
}

/** Each bot's log, the Redis keys left after the run, and for each message with a problem its deliveries, model requests and log lines, in a folder that is kept. */
async function writeDiagnostics(report: TrafficReport, run: TrafficDriver, bots: BotProcess[], model: ScriptedModel, redisKeys: string[]): Promise<string> {
  const dir = path.join(tmpdir(), `multiprocess-report-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'redis-after.txt'), `${redisKeys.join('\n')}\n`);
  for (const bot of bots) {
    const dropped = bot.droppedLines > 0 ? [`(${bot.droppedLines} more lines not kept)`] : [];
    await writeFile(path.join(dir, `${bot.name}.log`), [...bot.logs.items.map((line) => JSON.stringify(line)), ...bot.otherOutput, ...dropped].join('\n') + '\n');
  }
  const ids = new Set([...report.duplicates, ...report.lost, ...report.notAccepted, ...report.confirmations.unresolved.map((line) => line.split(':')[0]!)]);
  for (const line of report.outOfOrder) {
    const thread = /^thread (\d+)/.exec(line)?.[1];
    for (const message of run.sent.values()) if (String(message.planned.thread) === thread) ids.add(message.planned.id);
  }
  const sections = [...ids].map((id) => {
    const message = run.sent.get(id);
    if (!message) return `${id}: never sent`;
    const deliveries = message.deliveries.map((delivery: Delivery) => `  delivery ${delivery.eventId} retry ${delivery.retryNum}${delivery.redelivery ? ' (redelivery)' : ''} → ${delivery.status} from ${delivery.process ?? 'nobody'} at +${delivery.at - message.firstSentAt} ms`);
    const calls = model.callsFor(id).map((call) => `  model asked by ${call.process} at +${call.at - message.firstSentAt} ms → ${call.answered}${call.toolResult ? ` (tool result: ${JSON.stringify(call.toolResult.slice(0, 80))})` : ''}`);
    const logs = bots.flatMap((bot) => bot.logs.items.filter((line) => line.threadKey === message.threadKey).map((line) => ({ bot: bot.name, line })));
    const logLines = logs.sort((a, b) => a.line.time - b.line.time).map(({ bot, line }) => `  ${bot} +${line.time - message.firstSentAt} ms: ${line.msg}`);
    // What Redis still holds about the message or its thread after the run (its queue job, the thread's line).
    const left = redisKeys.filter((line) => line.includes(`:${message.ts}`) || line.includes(message.threadKey)).map((line) => `  redis: ${line}`);
    return [`${id} (${message.planned.kind}, thread ${message.threadKey}, ts ${message.ts}): ${JSON.stringify(report.outcomes.get(id) ?? 'no outcome')}`, ...deliveries, ...calls, ...logLines, ...left].join('\n');
  });
  await writeFile(path.join(dir, 'problems.txt'), [...report.problems, '', ...sections].join('\n') + '\n');
  return dir;
}
