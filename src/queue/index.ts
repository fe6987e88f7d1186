export { LocalTurnQueue } from './local-queue.js';
export { openTurnQueue, type TurnQueueSettings } from './open-queue.js';
export { TurnTakenOverError, type JobData, type QueueCounts, type TurnJob, type TurnJobHandler, type TurnLease, type TurnQueue } from './types.js';
export { filesForJob, filesFromJob, type JobFile } from './job-files.js';
