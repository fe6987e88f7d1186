import { EventEmitter } from 'node:events';
import { startFakeLlm } from '../fakes/fake-llm.js';
import { CHANNEL_ID, FakeDiscord, GUILD_ID, SECOND_CHANNEL_ID, SECOND_GUILD_ID, shardOf, type RestCall } from '../fakes/fake-discord.js';
import { freePort } from '../helpers/free-port.js';
import { runCleanups } from '../helpers/teardown.js';
import { startBotProcess, stopAll, terminateWithin, type BotProcess } from './bot-fleet.js';
import { setUpRun } from './run-setup.js';
import { ANSWER_MARK, ScriptedModel } from './scripted-model.js';
import { percentile, seededRandom, type PlannedMessage } from './traffic-plan.js';

export interface DiscordPlan {
  /** Conversations in each place: a guild on shard 0, a guild on shard 1, DMs (shard 0). */
  conversationsPerPlace: number;
  messagesPerConversation: number;
  /** Conversations start spread over this long. */
  durationMs: number;
  toolShare: number;
  leaseS: number;
  redisDb: number;
  outcomeTimeoutMs: number;
  seed: number;
}

type Place = 'guild on shard 1' | 'guild on shard 0' | 'dm';
const PLACES: Place[] = ['guild on shard 1', 'guild on shard 0', 'dm'];
const SHARDS = 2;
/** Any token: the fake Discord takes every one. */
const TOKEN = 'fake-discord-bot-token';

interface Conversation {
  place: Place;
  messages: PlannedMessage[];
  /** Where its messages go after the first: the thread the bot started on it, or the DM channel. */
  channelId: string;
}

export interface DiscordReport {
  answered: number;
  duplicates: string[];
  lost: string[];
  outOfOrder: string[];
  /** Turns a process ran for a message that came on the other process's shard (printed, not judged). */
  ranOnTheOtherProcess: number;
  turnsPerProcess: Record<string, number>;
  latency: { p50: number; p95: number };
  exits: string[];
  problems: string[];
  lines: string[];
}

/** The shard a conversation's messages arrive on, and so the process (`discord-<shard>`) that receives them. */
const shardOfPlace = (place: Place) => (place === 'guild on shard 1' ? shardOf(GUILD_ID, SHARDS) : place === 'guild on shard 0' ? shardOf(SECOND_GUILD_ID, SHARDS) : 0);

/**
 * Two real bot processes, each connecting one of two gateway shards of the fake Discord, on one Redis:
 * mentions in a guild of each shard (answered in the thread the bot starts, then replies there without
 * a mention) and DMs (shard 0). Each message must be answered once, in its conversation's order,
 * whichever process runs its turn; both stop with exit 0 on SIGTERM.
 */
export async function runDiscordTraffic(plan: DiscordPlan, say: (line: string) => void = () => undefined): Promise<DiscordReport> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const { serversFile, database, bots } = await setUpRun(plan.redisDb, cleanups);
    const random = seededRandom(plan.seed);
    const conversations: Conversation[] = [];
    for (const place of PLACES) {
      for (let n = 0; n < plan.conversationsPerPlace; n += 1) {
        const thread = conversations.length;
        const startMs = Math.round(random() * plan.durationMs);
        const messages = Array.from({ length: plan.messagesPerConversation }, (_, index): PlannedMessage => ({
          id: `t${thread}m${index}`,
          thread,
          index,
          kind: random() < plan.toolShare ? 'tool' : 'text',
          dueMs: startMs,
          waitsForPrevious: false,
          toolMs: 200 + Math.round(random() * 800),
          add: { a: 0, b: 0 },
        }));
        conversations.push({ place, messages, channelId: place === 'dm' ? `20000000000000${String(thread).padStart(5, '0')}` : '' });
      }
    }
    const planned = new Map(conversations.flatMap((conversation) => conversation.messages).map((message) => [message.id, message]));
    const model = new ScriptedModel(planned);
    const llm = await startFakeLlm(model.script);
    cleanups.push(() => llm.close());
    const discord = await FakeDiscord.start({ shards: SHARDS });
    cleanups.push(() => discord.close());
    const answers = new DiscordAnswers(discord);

    cleanups.push(() => stopAll(bots, 5_000));
    for (let shard = 0; shard < SHARDS; shard += 1) {
      const name = `discord-${shard}`;
      bots.push(
        startBotProcess(name, await freePort(), {
          DISCORD_TOKEN: TOKEN,
          DISCORD_API_URL: discord.apiUrl,
          DISCORD_SHARD_IDS: String(shard),
          DISCORD_SHARD_COUNT: String(SHARDS),
          SLACK_BOT_TOKEN: '',
          STORE_URL: database.url,
          LLM_BASE_URL: llm.url,
          LLM_API_KEY: name,
          LLM_MODEL: 'fake-model',
          MCP_CONFIG: serversFile,
          TURN_LEASE_S: String(plan.leaseS),
          RATE_LIMIT_PER_MIN: '0',
        }),
      );
    }
    await Promise.all(bots.map((bot) => bot.ready));
    say(`${bots.length} bot processes on shards 0 and 1 of ${SHARDS} ready`);

    const sentAt = new Map<string, number>();
    const startedAt = Date.now();
    await Promise.all(conversations.map((conversation) => converse(conversation, discord, sentAt, startedAt)));
    say(`sent ${planned.size} messages in ${conversations.length} conversations; waiting for the answers`);
    await answers.until(() => [...planned.keys()].every((id) => answers.first(id) !== undefined), plan.outcomeTimeoutMs);
    // A late second answer would come within a lease or two: watched for, bounded.
    await new Promise((resolve) => setTimeout(resolve, plan.leaseS * 2_000));

    const exits: string[] = [];
    for (const bot of bots) {
      const at = Date.now();
      const exit = await terminateWithin(bot, 45_000);
      exits.push(`${bot.name} SIGTERM → ${exit.timedOut ? 'no exit, killed' : `exit ${exit.code}`} after ${exit.at - at} ms`);
      if (exit.timedOut || exit.code !== 0) exits.push(`PROBLEM: ${bot.name} did not exit 0 after SIGTERM`);
    }
    return judgeDiscord(conversations, answers, model, sentAt, exits, bots);
  } finally {
    await runCleanups(cleanups);
  }
}

/** One conversation, as a person has it: the mention or first DM, then the rest right after one another (not waiting for answers). */
async function converse(conversation: Conversation, discord: FakeDiscord, sentAt: Map<string, number>, startedAt: number): Promise<void> {
  const [first, ...rest] = conversation.messages;
  if (!first) return;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + first.dueMs - Date.now())));
  const text = (message: PlannedMessage) => `${message.id}: ${message.kind === 'tool' ? 'a question for the slow tool' : 'a question'}`;
  sentAt.set(first.id, Date.now());
  if (conversation.place === 'dm') {
    discord.directMessage(text(first), conversation.channelId);
  } else {
    const questionId = discord.guildMessage(text(first), { channelId: conversation.place === 'guild on shard 1' ? CHANNEL_ID : SECOND_CHANNEL_ID });
    // The bot answers a mention in a thread it starts on the message (the thread has the message's id).
    await discord.deliveries.waitFor((delivery) => delivery.event === 'THREAD_CREATE' && delivery.data.id === questionId, { timeoutMs: 60_000, what: `the thread for ${first.id}` });
    conversation.channelId = questionId;
  }
  for (const message of rest) {
    sentAt.set(message.id, Date.now());
    if (conversation.place === 'dm') discord.directMessage(text(message), conversation.channelId);
    else discord.guildMessage(text(message), { mention: 'none', channelId: conversation.channelId });
  }
}

/** Every message the bot posted or edited with an answer in it, by message id; read from the fake's REST records as they come. */
class DiscordAnswers {
  private readonly answers = new Map<string, { messageId: string; seq: number; at: number }[]>();
  private readonly events = new EventEmitter();
  private seq = 0;

  constructor(discord: FakeDiscord) {
    this.events.setMaxListeners(0);
    const record = discord.rest.push.bind(discord.rest);
    discord.rest.push = (call: RestCall) => {
      record(call);
      this.observe(call);
    };
  }

  first(id: string): { messageId: string; seq: number; at: number } | undefined {
    return this.answers.get(id)?.[0];
  }

  messagesWith(id: string): string[] {
    return (this.answers.get(id) ?? []).map((answer) => answer.messageId);
  }

  until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAnswer = () => check() && done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (result: boolean) => {
        clearTimeout(timer);
        this.events.off('answer', onAnswer);
        resolve(result);
      };
      this.events.on('answer', onAnswer);
    });
  }

  private observe(call: RestCall): void {
    if (call.status >= 300) return;
    const posted = call.method === 'POST' && /^\/channels\/\d+\/messages$/.test(call.path) ? String(call.response?.id ?? '') : undefined;
    const edited = call.method === 'PATCH' ? /^\/channels\/\d+\/messages\/(\d+)$/.exec(call.path)?.[1] : undefined;
    const messageId = posted ?? edited;
    if (!messageId) return;
    for (const match of String(call.body?.content ?? '').matchAll(ANSWER_MARK)) {
      const id = match[1]!;
      const seen = this.answers.get(id) ?? [];
      if (seen.some((answer) => answer.messageId === messageId)) continue;
      this.seq += 1;
      this.answers.set(id, [...seen, { messageId, seq: this.seq, at: Date.now() }]);
      this.events.emit('answer');
    }
  }
}

function judgeDiscord(conversations: Conversation[], answers: DiscordAnswers, model: ScriptedModel, sentAt: Map<string, number>, exits: string[], bots: BotProcess[]): DiscordReport {
  const report: DiscordReport = { answered: 0, duplicates: [], lost: [], outOfOrder: [], ranOnTheOtherProcess: 0, turnsPerProcess: {}, latency: { p50: 0, p95: 0 }, exits, problems: [], lines: [] };
  const latencies: number[] = [];
  for (const conversation of conversations) {
    const order: number[] = [];
    for (const message of conversation.messages) {
      const first = answers.first(message.id);
      if (!first) {
        report.lost.push(message.id);
        continue;
      }
      report.answered += 1;
      latencies.push(first.at - (sentAt.get(message.id) ?? first.at));
      if (answers.messagesWith(message.id).length > 1) report.duplicates.push(message.id);
      const ranOn = model.lastProcessFor(message.id);
      if (ranOn) report.turnsPerProcess[ranOn] = (report.turnsPerProcess[ranOn] ?? 0) + 1;
      if (ranOn && ranOn !== `discord-${shardOfPlace(conversation.place)}`) report.ranOnTheOtherProcess += 1;
    }
    const byAnswer = conversation.messages.filter((message) => answers.first(message.id)).sort((a, b) => answers.first(a.id)!.seq - answers.first(b.id)!.seq);
    order.push(...byAnswer.map((message) => message.index));
    if (order.some((index, position) => position > 0 && index < order[position - 1]!)) report.outOfOrder.push(`${conversation.place} conversation ${conversation.messages[0]?.thread}: answered m${order.join(', m')}`);
  }
  report.latency = { p50: percentile(latencies, 50), p95: percentile(latencies, 95) };
  const list = (what: string, items: string[]) => items.length > 0 && report.problems.push(`${items.length} ${what}: ${items.slice(0, 20).join('; ')}`);
  list('duplicate answers', report.duplicates);
  list('lost messages', report.lost);
  list('conversations out of order', report.outOfOrder);
  report.problems.push(...exits.filter((line) => line.startsWith('PROBLEM: ')).map((line) => line.slice('PROBLEM: '.length)));
  // How many turns run on the other shard's process is up to groupmq's scheduling (none at all, once,
  // on a loaded machine): printed, not judged. discord-shards.test.ts proves deterministically that
  // the other process runs a turn a shard received.
  const dropped = bots.filter((bot) => bot.droppedLines > 0).map((bot) => `${bot.name} logged ${bot.droppedLines} lines past what the run keeps`);
  report.lines = [
    `discord: answers: ${report.answered}, duplicates: ${report.duplicates.length}, lost: ${report.lost.length}, out of order: ${report.outOfOrder.length}`,
    `discord: answer latency p50: ${report.latency.p50} ms, p95: ${report.latency.p95} ms; turns per process: ${JSON.stringify(report.turnsPerProcess)}, ${report.ranOnTheOtherProcess} run on the process of the other shard`,
    `discord: ${exits.filter((line) => !line.startsWith('PROBLEM')).join('; ')}`,
    ...dropped.map((line) => `discord: ${line}`),
    ...report.problems.map((problem) => `discord PROBLEM: ${problem}`),
  ];
  return report;
}
