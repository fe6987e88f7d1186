import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../../src/platforms/discord/index.js';
import { LocalTurnQueue, TurnTakenOverError, type TurnJob, type TurnLease, type TurnQueue } from '../../../src/queue/index.js';
import { APPLICATION_ID, CHANNEL_ID, FakeDiscord, GUILD_ID, SECOND_CHANNEL_ID, SECOND_GUILD_ID, shardOf, type RestCall } from '../../fakes/fake-discord.js';
import type { LlmRequest } from '../../fakes/fake-llm.js';
import { engineBeside } from '../../helpers/engine-beside.js';
import { startEngineHarness, type EngineHarness } from '../../helpers/engine-harness.js';
import { testLogger } from '../../helpers/logger.js';
import { Recorder } from '../../helpers/recorder.js';
import { runCleanups } from '../../helpers/teardown.js';
import { recordLatency, sharedLease } from '../../helpers/turn-queue.js';
import { answerIn, contentOf, expectNoPings, TOKEN } from './discord-bot.js';

/** Repeats the question; slowly when asked to. */
function script(request: LlmRequest) {
  const answer = `You said: ${request.lastUserText}`;
  return request.lastUserText.includes('slowly') ? { delayMs: 600, answer } : answer;
}

/** Which process put a job on the shared queue, and which ran it. */
interface JobTrip {
  job: TurnJob;
  enqueuedBy: number;
  ranOn?: number;
}

/** The queue as a process sees it: the shared one, each job it enqueues noted as its own; `down()` says when Redis would refuse. */
function queueOf(shared: TurnQueue, process: number, trips: Recorder<JobTrip>, down: () => boolean): TurnQueue {
  return {
    kind: shared.kind,
    enqueue: (job) => {
      if (down()) return Promise.reject(new Error('the queue is down'));
      trips.push({ job, enqueuedBy: process });
      return shared.enqueue(job);
    },
    start: (handler) => shared.start(handler),
    stop: (timeoutMs) => shared.stop(timeoutMs),
    counts: () => shared.counts(),
    running: () => shared.running(),
    close: () => shared.close(),
  };
}

describe('Discord split over two processes by gateway shard, one queue of turns between them (real discord.js, fake Discord with two shards)', () => {
  let harness: EngineHarness;
  let discord: FakeDiscord;
  let queue: LocalTurnQueue;
  /** Process i holds shard i of 2. */
  const adapters: DiscordAdapter[] = [];
  const trips = new Recorder<JobTrip>();
  /** Which process runs a job: by default the one that did not receive it, so nothing it posts can come from the receiver's cache. */
  let pickProcess: (trip: JobTrip, index: number) => number;
  const otherProcess = (trip: JobTrip) => 1 - trip.enqueuedBy;
  let queueDown = false;
  let callsBefore = 0;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    harness = await startEngineHarness({ script });
    cleanups.push(() => harness.close());
    discord = await FakeDiscord.start({ shards: 2 });
    cleanups.push(() => discord.close());
    const logger = testLogger();
    queue = new LocalTurnQueue(harness.store.kv, logger);
    cleanups.push(() => queue.stop(10_000));
    for (const shard of [0, 1]) {
      // Each process has an engine of its own; they share the store, the model and the MCP servers.
      const engine = shard === 0 ? harness.engine : engineBeside(harness);
      const adapter = new DiscordAdapter({ settings: { token: TOKEN, apiUrl: discord.apiUrl, guildId: undefined, shards: { ids: [shard], count: 2 } }, engine, queue: queueOf(queue, shard, trips, () => queueDown), kv: harness.store.kv, logger });
      adapters.push(adapter);
      cleanups.push(() => adapter.stop());
    }
    await queue.start(async (job, lease) => {
      const index = trips.items.findIndex((candidate) => candidate.job.id === job.id);
      const trip = trips.items[index]!;
      trip.ranOn = pickProcess(trip, index);
      await adapters[trip.ranOn]!.runJob(job, lease);
    });
    await Promise.all(adapters.map((adapter) => adapter.start()));
  });
  afterAll(() => runCleanups(cleanups));
  beforeEach(() => {
    pickProcess = otherProcess;
    queueDown = false;
    harness.llm.requests.clear();
    callsBefore = discord.rest.items.length;
  });
  afterEach(() => expectNoPings(discord.rest.items.slice(callsBefore)));

  const tripOf = (id: string) => trips.items.find((trip) => trip.job.id === id);
  const shardsThatGot = (event: string, id: string) => discord.deliveries.filter((delivery) => delivery.event === event && delivery.data.id === id).map((delivery) => delivery.shard);

  it('identifies each process as its shard of two, and tells each only about the guilds of its shard', async () => {
    const identified = await discord.gatewaySends.waitFor(() => discord.gatewaySends.filter((send) => send.op === 2).length >= 2, { what: 'two IDENTIFYs' });
    expect(identified).toBeDefined();
    expect(discord.gatewaySends.filter((send) => send.op === 2).map((send) => send.d.shard).sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect([shardOf(SECOND_GUILD_ID, 2), shardOf(GUILD_ID, 2)]).toEqual([0, 1]);
    const guildsOn = (shard: number) => discord.deliveries.filter((delivery) => delivery.event === 'GUILD_CREATE' && delivery.shard === shard).map((delivery) => delivery.data.id);
    expect(guildsOn(0)).toEqual([SECOND_GUILD_ID]);
    expect(guildsOn(1)).toEqual([GUILD_ID]);
    expect(adapters.every((adapter) => adapter.connected())).toBe(true);
  });

  it("takes a mention in a guild of shard 1 on that shard's process alone; the other process starts the thread and answers there", async () => {
    const question = discord.guildMessage('hello from shard one');
    const answer = await answerIn(discord, question, 'You said: hello from shard one');
    expect(shardsThatGot('MESSAGE_CREATE', question)).toEqual([1]);
    // Placed in its thread's line by when Discord says it was sent: the time in its snowflake.
    const sentAt = Number((BigInt(question) >> 22n) + 1_420_070_400_000n);
    expect(tripOf(`discord-message:${question}`)).toMatchObject({ enqueuedBy: 1, ranOn: 0, job: { threadKey: `discord:${GUILD_ID}:${CHANNEL_ID}:${question}`, platform: 'discord', orderMs: sentAt } });
    expect(discord.calls('POST', new RegExp(`^/channels/${CHANNEL_ID}/messages/${question}/threads$`))).toHaveLength(1);
    expect(answer.status).toBe(200);
  });

  it("takes a mention in a guild of shard 0 on that shard's process, and the process on shard 1 answers in its thread", async () => {
    const question = discord.guildMessage('hello from shard zero', { channelId: SECOND_CHANNEL_ID });
    await answerIn(discord, question, 'You said: hello from shard zero');
    expect(shardsThatGot('MESSAGE_CREATE', question)).toEqual([0]);
    expect(tripOf(`discord-message:${question}`)).toMatchObject({ enqueuedBy: 0, ranOn: 1, job: { threadKey: `discord:${SECOND_GUILD_ID}:${SECOND_CHANNEL_ID}:${question}` } });
  });

  it('takes DMs on shard 0, and answers them from the process on shard 1', async () => {
    const dm = '1000000000000000070';
    const message = discord.directMessage('hello in private', dm);
    await answerIn(discord, dm, 'You said: hello in private');
    expect(shardsThatGot('MESSAGE_CREATE', message)).toEqual([0]);
    expect(tripOf(`discord-message:${message}`)).toMatchObject({ enqueuedBy: 0, ranOn: 1, job: { threadKey: `discord:dm:${dm}` } });
  });

  it('keeps the order of two messages of one thread when each runs on another process, the second seeing the first in its history', async () => {
    const thread = discord.guildMessage('open a thread');
    await answerIn(discord, thread, 'You said: open a thread');
    await discord.deliveries.waitFor((delivery) => delivery.event === 'THREAD_CREATE' && delivery.data.id === thread, { what: 'the new thread announced' });
    // Round robin: whichever process received them, the two turns run on different processes.
    pickProcess = (_trip, index) => index % 2;
    harness.llm.requests.clear();

    const first = discord.guildMessage('first, answered slowly', { mention: 'none', channelId: thread });
    const second = discord.guildMessage('second, right after', { mention: 'none', channelId: thread });
    await answerIn(discord, thread, 'You said: second, right after');

    const [firstTrip, secondTrip] = [tripOf(`discord-message:${first}`)!, tripOf(`discord-message:${second}`)!];
    expect(firstTrip.ranOn).not.toBe(secondTrip.ranOn);
    expect(firstTrip.job.orderMs).toBeLessThanOrEqual(secondTrip.job.orderMs);
    expect(harness.llm.requests.items.map((request) => request.lastUserText)).toEqual(['first, answered slowly', 'second, right after']);
    expect(harness.llm.requests.items[1]!.messages.map((message) => message.content)).toContain('[Ada] first, answered slowly');
    const answers = discord.rest.filter((call) => call.path.startsWith(`/channels/${thread}/messages`) && /You said: (first|second)/.test(contentOf(call)));
    expect(answers.findIndex((call) => contentOf(call).includes('second'))).toBeGreaterThan(answers.findIndex((call) => contentOf(call).includes('first')));
  });

  it('queues the messages of a thread in the order they arrived, even when the first one needs a lookup and the second none', async () => {
    // A thread discord.js was not told about: whether a message there is for the bot takes asking Discord.
    const thread = discord.unannouncedBotThread();
    discord.delayNext('GET', new RegExp(`^/channels/${thread}$`), 300);
    const first = discord.guildMessage('first, looked up slowly', { mention: 'none', channelId: thread });
    // Discord tells about the thread meanwhile; the second message mentions the bot, so it is decided from the cache at once.
    discord.announceThread(thread);
    const second = discord.guildMessage('second, decided at once', { channelId: thread });
    await answerIn(discord, thread, 'You said: second, decided at once');

    const queued = trips.items.map((trip) => trip.job.id).filter((id) => id === `discord-message:${first}` || id === `discord-message:${second}`);
    expect(queued).toEqual([`discord-message:${first}`, `discord-message:${second}`]);
    expect(harness.llm.requests.items.map((request) => request.lastUserText)).toEqual(['first, looked up slowly', 'second, decided at once']);
  });

  it('defers /ask on the process of its guild, and the other process answers it through the interaction webhook', async () => {
    const asked = discord.interaction('ask', { options: [{ name: 'question', type: 3, value: 'who answers me?' }] });
    const deferral = await discord.waitForCall('POST', new RegExp(`^/interactions/${asked.id}/${asked.token}/callback$`));
    expect(deferral.body.type).toBe(5);
    const answered: RestCall = await discord.waitForCall('PATCH', new RegExp(`^/webhooks/${APPLICATION_ID}/${asked.token}/messages/`), (call) => contentOf(call) === 'You said: who answers me?');
    expect(answered.status).toBe(200);
    expect(shardsThatGot('INTERACTION_CREATE', asked.id)).toEqual([1]);
    expect(tripOf(`discord-interaction:${asked.id}`)).toMatchObject({ enqueuedBy: 1, ranOn: 0, job: { threadKey: `discord:${GUILD_ID}:${CHANNEL_ID}:${asked.id}` } });
  });

  /**
   * A message answered once, then its turn run again on process 0 as a take-over with `overrides` of
   * the lease: the Discord calls of that run, the id of the first run's answer, and the messages the
   * take-over posted in the message's thread.
   */
  async function takeOver(text: string, overrides: Partial<TurnLease> = {}) {
    const question = discord.guildMessage(text);
    await answerIn(discord, question, `You said: ${text}`);
    const { job } = tripOf(`discord-message:${question}`)!;
    const inThread = (call: RestCall) => call.method === 'POST' && call.path === `/channels/${question}/messages`;
    const earlierAnswerId = (discord.rest.items.find((call) => inThread(call) && call.status === 200)!.response as { id: string }).id;
    callsBefore = discord.rest.items.length;
    // The take-over starts the thread again; Discord says the message has one, which has the message's id.
    discord.failNext('POST', new RegExp(`^/channels/${CHANNEL_ID}/messages/${question}/threads$`), 400, { code: 160004, message: 'A thread has already been created for this message' });
    await adapters[0]!.runJob(job, sharedLease({ attempt: 2, earlierReplies: [{ messageId: earlierAnswerId }], ...overrides }));
    const since = discord.rest.items.slice(callsBefore);
    return { question, earlierAnswerId, since, posted: since.filter(inThread).map((call) => (call.response as { id: string }).id) };
  }

  it('answers in the thread a stopped process had started when another takes its turn over', async () => {
    const { question, earlierAnswerId, since, posted } = await takeOver('started on a process that then stopped');
    expect(since.filter((call) => call.path.endsWith('/threads')).map((call) => call.status)).toEqual([400]);
    // What the stopped process had posted goes, so the thread shows one answer.
    expect(since.filter((call) => call.method === 'DELETE').map((call) => [call.path, call.status])).toEqual([[`/channels/${question}/messages/${earlierAnswerId}`, 204]]);
    expect(posted).toHaveLength(1);
    expect(since.filter((call) => call.path === `/channels/${CHANNEL_ID}/messages`)).toEqual([]);
  });

  it('posts each message of a turn another process may take over as a placeholder, recorded before it shows the answer', async () => {
    const shownWhenRecorded = new Map<string, string>();
    const replyStarted = async (reply: unknown) => {
      const { messageId } = reply as { messageId: string };
      // An answer sent without waiting for the record would arrive meanwhile.
      await recordLatency();
      shownWhenRecorded.set(messageId, discord.messageContent(messageId));
    };
    const { posted } = await takeOver('answered where a take-over may follow', { replyStarted });
    expect(posted).toHaveLength(1);
    expect(shownWhenRecorded.get(posted[0]!)).toBe('…');
    expect(discord.messageContent(posted[0]!)).toBe('You said: answered where a take-over may follow');
  });

  it('removes what it posted when another process took the turn over meanwhile, so the thread shows that answer alone', async () => {
    const answerSaved = async () => {
      throw new TurnTakenOverError('taken');
    };
    const { question, earlierAnswerId, since, posted } = await takeOver('answered by another process in the end', { answerSaved });
    expect(posted).toHaveLength(1);
    const deleted = since.filter((call) => call.method === 'DELETE').map((call) => call.path);
    expect(deleted).toEqual([`/channels/${question}/messages/${earlierAnswerId}`, `/channels/${question}/messages/${posted[0]}`]);
  });

  it('tells the person, as a reply that pings no one, when the queue cannot take their message', async () => {
    queueDown = true;
    const question = discord.guildMessage('nobody can queue this');
    const told = await discord.waitForCall('POST', new RegExp(`^/channels/${CHANNEL_ID}/messages$`), (call) => call.body?.message_reference?.message_id === question);
    expect(contentOf(told)).toBe('Sorry, I could not take your message just now. Please send it again in a moment.');
    expect(told.body.allowed_mentions).toEqual({ parse: [], replied_user: false });
    expect(discord.calls('POST', new RegExp(`/messages/${question}/threads$`))).toEqual([]);
    expect(harness.llm.requests.items).toEqual([]);
  });
});
