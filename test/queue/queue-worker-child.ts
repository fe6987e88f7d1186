/**
 * A bot process's share of the Redis turn queue, in a process of its own so a test can kill it with
 * SIGKILL mid-turn: every job it gets it reports on standard output and holds for ever, but a job
 * whose id contains `quick`, which it finishes at once; a job whose id contains `tool` has started a
 * tool first (recorded through its lease).
 * Arguments: Redis URL, namespace, lease in ms.
 */
import { RedisTurnQueue } from '../../src/queue/redis-queue.js';
import { testLogger } from '../helpers/logger.js';

const [url, namespace, leaseMs] = process.argv.slice(2);
const queue = await RedisTurnQueue.open({ url: url!, namespace: namespace!, leaseMs: Number(leaseMs), concurrency: 4, logger: testLogger() });
await queue.start(async (job, lease) => {
  await lease.replyStarted({ message: `reply to ${job.id}` });
  if (job.id.includes('answered')) await lease.answerSaved(`the answer to ${job.id}`);
  if (job.id.includes('tool')) await lease.toolStarting({ step: 1, server: 'files', tool: 'write_file' });
  process.stdout.write(`running ${job.id}\n`);
  if (!job.id.includes('quick')) await new Promise(() => undefined);
});
process.stdout.write('ready\n');
