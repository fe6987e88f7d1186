import { describe, expect, it } from 'vitest';
import { redisAvailable } from '../helpers/services.js';
import { runDiscordTraffic } from './discord-traffic.js';
import { runSlackTraffic } from './slack-traffic.js';
import type { TrafficPlan } from './traffic-plan.js';

/**
 * About 20 s of traffic: `npm run soak` runs the same harness for longer with more threads. Redis
 * database 13 is this test's own (the Discord part uses 12, the soak 14), emptied before and after. A short TURN_LEASE_S
 * keeps the take-over quick; MULTIPROCESS_LEASE_S sets another to compare.
 */
const PLAN: TrafficPlan = {
  threads: 60,
  messagesPerThread: 4,
  durationMs: 20_000,
  processes: 3,
  redeliveryShare: 0.1,
  toolShare: 0.35,
  confirmations: 6,
  waitForAnswerShare: 0.3,
  killAt: 0.35,
  terminateAt: 0.55,
  leaseS: Number(process.env.MULTIPROCESS_LEASE_S ?? 3),
  shutdownTimeoutS: 10,
  redisDb: 13,
  settleMs: 6_000,
  outcomeTimeoutMs: 45_000,
  seed: 20261129,
};

describe.runIf(redisAvailable)('three bot processes sharing one Redis, Slack in HTTP mode behind a round-robin balancer', () => {
  it(
    'answer every message once, in its thread\'s order, through redeliveries, presses on other processes, a kill -9 and a SIGTERM',
    async () => {
      const { report, lines } = await runSlackTraffic(PLAN, (line) => console.log(`multiprocess: ${line}`));
      console.log(lines.join('\n'));
      expect(report.accepted).toBe(PLAN.threads * PLAN.messagesPerThread);
      expect(report.redeliveries).toBeGreaterThan(0);
      expect(report.processEvents.map((event) => event.what)).toEqual(expect.arrayContaining(['kill -9', 'SIGTERM']));
      expect(report.problems).toEqual([]);
      expect({ duplicates: report.duplicates, lost: report.lost, outOfOrder: report.outOfOrder }).toEqual({ duplicates: [], lost: [], outOfOrder: [] });
      expect(report.confirmations.pressedOnAnotherProcess).toBeGreaterThan(0);
      expect(report.confirmations.unresolved).toEqual([]);
    },
    240_000,
  );
});

describe.runIf(redisAvailable)('two bot processes sharing one Redis, each connecting one of two Discord gateway shards', () => {
  it(
    'answer mentions in a guild of each shard and DMs once each, in order, whichever process runs the turn',
    async () => {
      const report = await runDiscordTraffic(
        { conversationsPerPlace: 4, messagesPerConversation: 3, durationMs: 5_000, toolShare: 0.35, leaseS: 3, redisDb: 12, outcomeTimeoutMs: 45_000, seed: 20261129 },
        (line) => console.log(`multiprocess discord: ${line}`),
      );
      console.log(report.lines.join('\n'));
      expect(report.problems).toEqual([]);
      expect(report.answered).toBe(36);
      expect(Object.keys(report.turnsPerProcess).sort()).toEqual(['discord-0', 'discord-1']);
    },
    180_000,
  );
});
