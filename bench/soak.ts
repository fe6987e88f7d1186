/**
 * `npm run soak`: the several-processes test at full size. 200 threads over 60 s (about 1,000 events a
 * minute, a tenth of them redeliveries), three bot processes on one Redis behind a round-robin
 * balancer, one killed with kill -9 and another stopped with SIGTERM (and replaced) mid-run. Prints
 * `answers: N, duplicates: 0, lost: 0, out of order: 0` and the answer latency; exits 1 on any
 * problem, with the path of the logs. SOAK_SECONDS and SOAK_THREADS change the size.
 */
import { isPortOpen } from '../test/helpers/services.js';
import { runSlackTraffic } from '../test/multiprocess/slack-traffic.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const threads = Number(process.env.SOAK_THREADS ?? 200);

if (!(await isPortOpen(6379))) {
  process.stderr.write('soak: Redis is not running on 127.0.0.1:6379; several processes need it\n');
  process.exit(1);
}

const { report, lines } = await runSlackTraffic(
  {
    threads,
    messagesPerThread: 4,
    durationMs: seconds * 1000,
    processes: 3,
    redeliveryShare: 0.1,
    toolShare: 0.35,
    confirmations: 20,
    waitForAnswerShare: 0.3,
    killAt: 0.35,
    terminateAt: 0.55,
    // The default, so take-over is measured as deployed.
    leaseS: 15,
    shutdownTimeoutS: 15,
    // The several-processes test uses 13.
    redisDb: 14,
    settleMs: 10_000,
    outcomeTimeoutMs: 90_000,
    seed: Date.now() % 1_000_000,
  },
  (line) => process.stderr.write(`soak: ${line}\n`),
);
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(report.problems.length === 0 ? 0 : 1);
