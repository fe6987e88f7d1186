/**
 * A bot process's share of the Redis turn queue, in a process of its own so a test can kill it with
 * SIGKILL mid-turn: every job it gets it reports on standard output and holds for ever, but a job
 * whose id contains `quick`, which it finishes at once; a job whose id contains `tool` has started a
 * tool first (recorded through its lease). A job whose id contains `stalled` waits for a line `go` on
 * standard input (the test pauses the process with SIGSTOP meanwhile, as a frozen VM would be, and
 * resumes it with SIGCONT: Node does not always report SIGCONT itself), then tries to act as the job's
 * owner and reports each outcome: `<action> ok` or `<action> refused <error name>`.
 * Arguments: Redis URL, namespace, lease in ms.
 */
import { createInterface } from 'node:readline';
import { createLogger } from '../../src/logging/logger.js';
import { RedisTurnQueue } from '../../src/queue/redis-queue.js';

const [url, namespace, leaseMs] = process.argv.slice(2);
const go = new Promise<void>((resolve) => {
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'go') resolve();
  });
});
// The queue's own lines go to standard output too, as JSON, for the test to read.
const queue = await RedisTurnQueue.open({ url: url!, namespace: namespace!, leaseMs: Number(leaseMs), concurrency: 4, logger: createLogger('info', process.stdout) });
await queue.start(async (job, lease) => {
  await lease.replyStarted({ message: `reply to ${job.id}` });
  if (job.id.includes('answered')) await lease.answerSaved(`the answer to ${job.id}`);
  if (job.id.includes('tool')) await lease.toolStarting({ step: 1, server: 'files', tool: 'write_file' });
  process.stdout.write(`running ${job.id}\n`);
  if (job.id.includes('stalled')) {
    await go;
    const actions: [string, () => Promise<void>][] = [
      ['toolStarting', () => lease.toolStarting({ step: 1, server: 'files', tool: 'write_file' })],
      ['replyStarted', () => lease.replyStarted({ message: 'from the stalled run' })],
      ['answerSaved', () => lease.answerSaved('the stalled answer')],
    ];
    for (const [action, act] of actions) {
      const outcome = await act().then(
        () => 'ok',
        (error: unknown) => `refused ${(error as Error).name}`,
      );
      process.stdout.write(`${action} ${outcome}\n`);
    }
    // The run ends, as a turn that withdrew its output does; its end must leave the take-over's record alone.
    return;
  }
  if (!job.id.includes('quick')) await new Promise(() => undefined);
});
process.stdout.write('ready\n');
