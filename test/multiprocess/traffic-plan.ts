/** What one run sends, and how the processes are disturbed while it does. */
export interface TrafficPlan {
  threads: number;
  messagesPerThread: number;
  /** The messages' send times are spread over this long. */
  durationMs: number;
  /** Bot processes at the start (the SIGTERMed one is replaced, as in a rolling restart). */
  processes: number;
  /** Share of acknowledged events delivered again with x-slack-retry-num, as Slack does when it thinks an ack was lost. */
  redeliveryShare: number;
  /** Share of messages whose turn calls the fixture's `slow` tool. */
  toolShare: number;
  /** How many messages call `add`, which asks the person first: their Approve is pressed on another process than the turn's. */
  confirmations: number;
  /** Share of messages sent only once the one before them in their thread was answered (the rest go while it still may be running). */
  waitForAnswerShare: number;
  /** When a process group is killed with kill -9, as a share of durationMs (undefined: none). */
  killAt: number | undefined;
  /** When another process gets SIGTERM, as a share of durationMs (undefined: none). */
  terminateAt: number | undefined;
  /** TURN_LEASE_S of the bots. */
  leaseS: number;
  /** SHUTDOWN_TIMEOUT_S of the bots; a SIGTERMed bot must have exited 0 within it (and a little start-up slack). */
  shutdownTimeoutS: number;
  /** The Redis database the bots share (emptied before and after). */
  redisDb: number;
  /** How long, after the last message's outcome, late answers (duplicates) are still watched for. */
  settleMs: number;
  /** How long after the last message was sent every outcome may take to arrive. */
  outcomeTimeoutMs: number;
  seed: number;
}

export type MessageKind = 'text' | 'tool' | 'confirm';

/** One message a person sends in a thread. */
export interface PlannedMessage {
  /** `t<thread>m<index>`: the fake model writes it into the answer, which is how an answer is told apart. */
  id: string;
  thread: number;
  /** 0-based position in its thread. */
  index: number;
  kind: MessageKind;
  /** When it is due, in ms after the start of traffic. */
  dueMs: number;
  /** Sent only after the thread's previous message has its outcome. */
  waitsForPrevious: boolean;
  /** `slow`'s duration, for a tool message. */
  toolMs: number;
  /** `add`'s arguments, for a confirm message; the answer must carry their sum. */
  add: { a: number; b: number };
}

export interface PlannedThread {
  index: number;
  /** `dm`: a thread inside the DM with the bot. `channel`: a mention in a channel, answered in a thread under it, then replies there without a mention. */
  kind: 'dm' | 'channel';
  messages: PlannedMessage[];
}

/** A small seeded generator (mulberry32), so a plan is the same from one run to the next. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The threads and their messages: each message due at a random moment of the run (so the rate is even
 * over it), in its thread's order; every other thread a channel thread. Confirm messages are never a
 * channel thread's first (the mention), so the thread exists when its question is asked.
 */
export function planThreads(plan: TrafficPlan): PlannedThread[] {
  const random = seededRandom(plan.seed);
  const threads: PlannedThread[] = [];
  for (let thread = 0; thread < plan.threads; thread += 1) {
    const due = Array.from({ length: plan.messagesPerThread }, () => Math.round(random() * plan.durationMs)).sort((a, b) => a - b);
    const messages = due.map((dueMs, index): PlannedMessage => ({
      id: `t${thread}m${index}`,
      thread,
      index,
      kind: random() < plan.toolShare ? 'tool' : 'text',
      dueMs,
      waitsForPrevious: index > 0 && random() < plan.waitForAnswerShare,
      toolMs: 200 + Math.round(random() * 1300),
      add: { a: thread + 1, b: (index + 1) * 1000 },
    }));
    threads.push({ index: thread, kind: thread % 2 === 0 ? 'dm' : 'channel', messages });
  }
  // Spread over the run: the i-th confirmation in the i-th slice of threads.
  for (let n = 0; n < plan.confirmations; n += 1) {
    const thread = threads[Math.floor(((n + 0.5) * plan.threads) / plan.confirmations)]!;
    const candidates = thread.messages.filter((message) => message.index > 0);
    const chosen = candidates[Math.floor(random() * candidates.length)];
    if (chosen) chosen.kind = 'confirm';
  }
  return threads;
}

/** The p-th percentile (0–100) of `values`, nearest rank; 0 for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
