export { LocalTurnQueue } from './local-queue.js';
export { openTurnQueue, type TurnQueueSettings } from './open-queue.js';
export type { JobData, QueueCounts, TurnJob, TurnJobHandler, TurnLease, TurnQueue } from './types.js';
export { filesForJob, filesFromJob, type JobFile } from './job-files.js';
