import { randomUUID } from 'node:crypto';
import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../../src/platforms/discord/index.js';
import { RedisTurnQueue } from '../../../src/queue/redis-queue.js';
import { CHANNEL_ID, FakeDiscord, GUILD_ID, SECOND_CHANNEL_ID } from '../../fakes/fake-discord.js';
import type { LlmRequest } from '../../fakes/fake-llm.js';
import { engineBeside } from '../../helpers/engine-beside.js';
import { startEngineHarness, type EngineHarness } from '../../helpers/engine-harness.js';
import { testLogger } from '../../helpers/logger.js';
import { Recorder } from '../../helpers/recorder.js';
import { REDIS_URL, redisAvailable } from '../../helpers/services.js';
import { runCleanups } from '../../helpers/teardown.js';
import { answerIn, expectNoPings, TOKEN } from './discord-bot.js';

/** Repeats the question; slowly when asked to. */
function script(request: LlmRequest) {
  const answer = `You said: ${request.lastUserText}`;
  return request.lastUserText.includes('slowly') ? { delayMs: 600, answer } : answer;
}

describe.skipIf(!redisAvailable)('Discord on the Redis turn queue: two processes, one shard each, jobs taken by whichever process is free', () => {
  let harness: EngineHarness;
  let discord: FakeDiscord;
  const namespace = `test-discord-queue-${randomUUID()}`;
  /** The process that ran each job, by job id. */
  const ranOn = new Recorder<{ job: string; process: number }>();
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    harness = await startEngineHarness({ script });
    cleanups.push(() => harness.close());
    discord = await FakeDiscord.start({ shards: 2 });
    cleanups.push(() => discord.close());
    cleanups.push(async () => {
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      try {
        for (const pattern of [`${namespace}:*`, `groupmq:${namespace}:*`]) for await (const keys of client.scanIterator({ MATCH: pattern })) if (keys.length > 0) await client.del(keys);
      } finally {
        client.destroy();
      }
    });
    const logger = testLogger();
    for (const shard of [0, 1]) {
      // Each process has its own engine and its own connection to the queue; they share Redis, the store, the model and the MCP servers.
      const queue = await RedisTurnQueue.open({ url: REDIS_URL, namespace, leaseMs: 10_000, concurrency: 4, logger });
      cleanups.push(() => queue.close());
      const engine = shard === 0 ? harness.engine : engineBeside(harness);
      const adapter = new DiscordAdapter({ settings: { token: TOKEN, apiUrl: discord.apiUrl, guildId: undefined, shards: { ids: [shard], count: 2 } }, engine, queue, kv: harness.store.kv, logger });
      cleanups.push(() => adapter.stop());
      cleanups.push(() => queue.stop(10_000));
      await adapter.start();
      await queue.start(async (job, lease) => {
        ranOn.push({ job: job.id, process: shard });
        await adapter.runJob(job, lease);
      });
    }
  });
  afterAll(async () => {
    expectNoPings(discord.rest.items);
    await runCleanups(cleanups);
  });

  it('answers mentions in the guilds of both shards in threads of their own, whichever process runs them', async () => {
    const first = discord.guildMessage('hello from shard one');
    const second = discord.guildMessage('hello from shard zero', { channelId: SECOND_CHANNEL_ID });
    await answerIn(discord, first, 'You said: hello from shard one');
    await answerIn(discord, second, 'You said: hello from shard zero');
    expect(discord.calls('POST', new RegExp(`^/channels/${CHANNEL_ID}/messages/${first}/threads$`))).toHaveLength(1);
    expect(discord.calls('POST', new RegExp(`^/channels/${SECOND_CHANNEL_ID}/messages/${second}/threads$`))).toHaveLength(1);
    expect(ranOn.items.map((run) => run.job).sort()).toEqual([`discord-message:${first}`, `discord-message:${second}`].sort());
  });

  it("runs a thread's messages one at a time in the order they were sent, the later seeing the earlier", async () => {
    const thread = discord.guildMessage('open a thread');
    await answerIn(discord, thread, 'You said: open a thread');
    await discord.deliveries.waitFor((delivery) => delivery.event === 'THREAD_CREATE' && delivery.data.id === thread, { what: 'the new thread announced' });
    harness.llm.requests.clear();

    discord.guildMessage('first, answered slowly', { mention: 'none', channelId: thread });
    discord.guildMessage('second, right after', { mention: 'none', channelId: thread });
    await answerIn(discord, thread, 'You said: second, right after');
    expect(harness.llm.requests.items.map((request) => request.lastUserText)).toEqual(['first, answered slowly', 'second, right after']);
    expect(harness.llm.requests.items[1]!.messages.map((message) => message.content)).toContain('[Ada] first, answered slowly');
    const history = await harness.store.history.get(`discord:${GUILD_ID}:${CHANNEL_ID}:${thread}`);
    expect(history.filter((message) => message.role === 'user').map((message) => message.content)).toEqual(['[Ada] open a thread', '[Ada] first, answered slowly', '[Ada] second, right after']);
  });

  it('takes a message Discord sends again (a gateway replay) once', async () => {
    const dm = '1000000000000000071';
    const message = discord.directMessage('only once please', dm);
    await answerIn(discord, dm, 'You said: only once please');
    discord.replayMessage(message);
    const again = discord.directMessage('and then this', dm);
    await answerIn(discord, dm, 'You said: and then this');
    expect(ranOn.filter((run) => run.job === `discord-message:${message}`)).toHaveLength(1);
    expect(ranOn.filter((run) => run.job === `discord-message:${again}`)).toHaveLength(1);
  });
});
