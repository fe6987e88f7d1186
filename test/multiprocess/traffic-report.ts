import type { FakeSlack } from '../fakes/fake-slack.js';
import type { ModelCall } from './scripted-model.js';
import type { SlackOutcomes } from './slack-outcomes.js';
import { percentile, type PlannedMessage, type PlannedThread, type TrafficPlan } from './traffic-plan.js';

/** One POST of an event (or a button press) through the proxy or to one process. */
export interface Delivery {
  eventId: string;
  retryNum: number;
  /** HTTP status, or 0 when no answer came within Slack's 3 s. */
  status: number;
  /** The process that answered, by name. */
  process: string | undefined;
  at: number;
  /** An event delivered again after it had been acknowledged. */
  redelivery: boolean;
}

/** A planned message once sent: where it went and what became of its deliveries. */
export interface SentMessage {
  planned: PlannedMessage;
  threadKey: string;
  threadTs: string;
  ts: string;
  firstSentAt: number;
  /** When an event carrying it was first acknowledged with a 2xx; undefined: never (Slack gave up). */
  acceptedAt: number | undefined;
  deliveries: Delivery[];
}

/** Approve pressed on a confirmation question. */
export interface Press {
  id: string | undefined;
  question: string;
  /** The process whose turn asked (the one that last asked the model about the message). */
  turnProcess: string | undefined;
  pressProcess: string;
  status: number;
}

export interface ProcessEvent {
  name: string;
  what: 'kill -9' | 'SIGTERM' | 'started' | 'stopped at the end';
  at: number;
  /** For a stop: the exit code, and how long the exit took after the signal. */
  code?: number | null;
  exitMs?: number;
  /** For kill -9: the messages whose `slow` call the process was running. */
  midTool?: string[];
}

export interface TrafficRecords {
  plan: TrafficPlan;
  threads: PlannedThread[];
  sent: Map<string, SentMessage>;
  outcomes: SlackOutcomes;
  slack: FakeSlack;
  modelCalls: ModelCall[];
  presses: Press[];
  processEvents: ProcessEvent[];
  startedAt: number;
  endedAt: number;
}

export type Outcome = { kind: 'answered'; latencyMs: number } | { kind: 'interrupted'; tool: string } | { kind: 'lost' } | { kind: 'not accepted' };

export interface TrafficReport {
  events: number;
  redeliveries: number;
  accepted: number;
  answered: number;
  interrupted: number;
  /** Message ids answered in more than one Slack message. */
  duplicates: string[];
  /** Accepted message ids with neither an answer nor an interrupted-tool message. */
  lost: string[];
  /** Threads whose answers came in another order than their messages, as "thread: order seen". */
  outOfOrder: string[];
  /** Message ids that Slack would have given up on (no 2xx in four tries). */
  notAccepted: string[];
  /** Interrupted-tool messages for a message whose turn called no tool, or with no message left to stand for. */
  strayInterruptions: string[];
  /** Messages in the threads that are none of answer, interruption, question or an answer cut off by a stopped process. */
  unexpected: string[];
  /** Streamed answers left unfinished by a process that stopped (the message was then answered again or said interrupted). */
  cutAnswers: number;
  confirmations: { asked: number; pressedOnAnotherProcess: number; resolved: number; unresolved: string[] };
  latency: { p50: number; p95: number };
  /** The messages the killed process was running (it last asked the model about them, and they had no outcome yet), and how long after the kill the last of them was taken over (undefined: one never was). */
  takeOver: { messages: number; lastOutcomeMs: number | undefined };
  processEvents: ProcessEvent[];
  outcomes: Map<string, Outcome>;
  /** Everything that breaks the contract; empty for a good run. */
  problems: string[];
}

/** A dead process's turns are taken over within about 30 s (TURN_LEASE_S 15 and the check for stalled jobs); more than half again is a problem. */
const TAKE_OVER_LIMIT_MS = 45_000;

/** What an answer looks like before it is whole: a stream a stopped process left, or a placeholder. */
function isCutAnswer(text: string): boolean {
  const trimmed = text.trim();
  return trimmed === '' || 'reply to '.startsWith(trimmed) || trimmed.startsWith('reply to t') || trimmed.startsWith('Working on it');
}

/**
 * Judges a run from the fakes' records: per thread, the answers in the order Slack first showed them
 * complete and the interrupted-tool messages; an interruption stands for the one unanswered message
 * between the answers around it.
 */
export function judge(records: TrafficRecords): TrafficReport {
  const { plan, threads, sent, outcomes, slack } = records;
  const report: TrafficReport = {
    events: 0,
    redeliveries: 0,
    accepted: 0,
    answered: 0,
    interrupted: 0,
    duplicates: [],
    lost: [],
    outOfOrder: [],
    notAccepted: [],
    strayInterruptions: [],
    unexpected: [],
    cutAnswers: 0,
    confirmations: { asked: outcomes.questions.length, pressedOnAnotherProcess: 0, resolved: 0, unresolved: [] },
    latency: { p50: 0, p95: 0 },
    takeOver: { messages: 0, lastOutcomeMs: undefined },
    processEvents: records.processEvents,
    outcomes: new Map(),
    problems: [],
  };
  const latencies: number[] = [];
  const ourThreads = new Set<string>();

  for (const thread of threads) {
    const messages = thread.messages.map((planned) => sent.get(planned.id)).filter((message): message is SentMessage => message !== undefined);
    const threadTs = messages[0]?.threadTs;
    if (threadTs === undefined) continue;
    ourThreads.add(threadTs);
    for (const message of messages) {
      report.events += message.deliveries.length;
      report.redeliveries += message.deliveries.filter((delivery) => delivery.redelivery).length;
      if (message.acceptedAt === undefined) {
        report.notAccepted.push(message.planned.id);
        report.outcomes.set(message.planned.id, { kind: 'not accepted' });
      } else report.accepted += 1;
    }
    // The thread's answers in the order they became whole, each message's first one.
    const answered = messages
      .map((message) => ({ message, first: outcomes.answers.get(message.planned.id)?.[0] }))
      .filter((entry) => entry.first !== undefined)
      .sort((a, b) => a.first!.seq - b.first!.seq);
    const order = answered.map((entry) => entry.message.planned.index);
    if (order.some((index, position) => position > 0 && index < order[position - 1]!)) {
      report.outOfOrder.push(`thread ${thread.index} (${thread.kind}): answered m${order.join(', m')}`);
    }
    for (const { message, first } of answered) {
      const latencyMs = first!.at - message.firstSentAt;
      latencies.push(latencyMs);
      report.outcomes.set(message.planned.id, { kind: 'answered', latencyMs });
      report.answered += 1;
      if (outcomes.answers.get(message.planned.id)!.length > 1) report.duplicates.push(message.planned.id);
    }
    const interruptions = [...outcomes.interruptionsIn(threadTs)].sort((a, b) => a.seq - b.seq);
    const used = new Set<number>();
    const seqOf = (index: number) => outcomes.answers.get(`t${thread.index}m${index}`)?.[0]?.seq;
    for (const message of messages) {
      if (message.acceptedAt === undefined || report.outcomes.has(message.planned.id)) continue;
      const { index } = message.planned;
      const before = Math.max(0, ...messages.filter((other) => other.planned.index < index).map((other) => seqOf(other.planned.index) ?? 0));
      const after = Math.min(Infinity, ...messages.filter((other) => other.planned.index > index).map((other) => seqOf(other.planned.index) ?? Infinity));
      const standIn = interruptions.findIndex((interruption, position) => !used.has(position) && interruption.seq > before && interruption.seq < after);
      if (standIn < 0) {
        report.lost.push(message.planned.id);
        report.outcomes.set(message.planned.id, { kind: 'lost' });
        continue;
      }
      used.add(standIn);
      report.interrupted += 1;
      report.outcomes.set(message.planned.id, { kind: 'interrupted', tool: interruptions[standIn]!.tool });
      if (message.planned.kind === 'text') report.strayInterruptions.push(`${message.planned.id}: interrupted while using ${interruptions[standIn]!.tool}, but its turn calls no tool`);
    }
    interruptions.forEach((interruption, position) => {
      if (!used.has(position)) report.strayInterruptions.push(`thread ${thread.index}: "${interruption.tool}" interruption (ts ${interruption.ts}) with no unanswered message to stand for`);
    });
  }

  // Everything else the bot wrote in these threads.
  const answerTs = new Set([...outcomes.answers.values()].flat().map((appearance) => appearance.ts));
  const interruptionTs = new Set(outcomes.interruptions.map((interruption) => interruption.ts));
  for (const message of slack.messages.values()) {
    if (!ourThreads.has(message.threadTs ?? '') || answerTs.has(message.ts) || interruptionTs.has(message.ts) || outcomes.questionTs.has(message.ts)) continue;
    // The tool steps of a turn that then asks a question: their cards close above it, with no text, by design.
    if (message.stream?.chunks.every((chunk) => chunk.type === 'task_update')) continue;
    if (isCutAnswer(message.text)) report.cutAnswers += 1;
    else report.unexpected.push(`${message.channel}/${message.threadTs} ${message.ts}: ${JSON.stringify(message.text.slice(0, 200))}`);
  }

  judgeConfirmations(records, report);
  report.takeOver = takeOverOf(records);
  report.latency = { p50: percentile(latencies, 50), p95: percentile(latencies, 95) };
  report.problems = problemsOf(report, plan);
  return report;
}

/** A confirmation counts as resolved when its turn went on with the tool's real result (the sum), whichever process the press reached. */
function judgeConfirmations(records: TrafficRecords, report: TrafficReport): void {
  const { threads, outcomes, slack, presses } = records;
  for (const planned of threads.flatMap((thread) => thread.messages).filter((message) => message.kind === 'confirm')) {
    const pressedElsewhere = presses.some((press) => press.id === planned.id && press.turnProcess !== undefined && press.turnProcess !== press.pressProcess);
    if (pressedElsewhere) report.confirmations.pressedOnAnotherProcess += 1;
    const outcome = report.outcomes.get(planned.id);
    if (outcome?.kind === 'interrupted' || outcome?.kind === 'not accepted') continue;
    const expected = `reply to ${planned.id} ok after add: ${planned.add.a + planned.add.b}`;
    const shown = (outcomes.answers.get(planned.id) ?? []).some((appearance) => {
      const message = slack.messages.get(appearance.ts);
      return message !== undefined && `${message.text}${JSON.stringify(message.blocks ?? [])}`.includes(expected);
    });
    if (shown) report.confirmations.resolved += 1;
    else {
      const pressed = presses.filter((press) => press.id === planned.id).map((press) => `${press.turnProcess ?? '?'}→${press.pressProcess} (${press.status})`);
      report.confirmations.unresolved.push(`${planned.id}: ${outcome?.kind ?? 'no outcome'}, presses: ${pressed.join(', ') || 'none'}`);
    }
  }
}

/**
 * A kill -9 mid-run: what its process was running, and when the last of it was taken over: run again
 * by another process (it asked the model about it) or told as interrupted, whichever came first.
 * Counted to the take-over, not to the answer, which may wait on more (a person's Approve).
 */
function takeOverOf(records: TrafficRecords): TrafficReport['takeOver'] {
  const kill = records.processEvents.find((event) => event.what === 'kill -9');
  if (!kill) return { messages: 0, lastOutcomeMs: undefined };
  const lastAsker = (id: string) => records.modelCalls.filter((call) => call.id === id && call.at <= kill.at).at(-1)?.process;
  const takenOverAt = (message: SentMessage) => {
    const rerun = records.modelCalls.find((call) => call.id === message.planned.id && call.at > kill.at && call.process !== kill.name)?.at;
    const answer = records.outcomes.answers.get(message.planned.id)?.[0]?.at;
    const interruption = records.outcomes.interruptionsIn(message.threadTs).find((candidate) => candidate.at >= message.firstSentAt)?.at;
    return Math.min(rerun ?? Infinity, answer ?? Infinity, interruption ?? Infinity);
  };
  const running = [...records.sent.values()].filter((message) => lastAsker(message.planned.id) === kill.name && takenOverAt(message) > kill.at);
  const times = running.map(takenOverAt).filter((at) => at !== Infinity);
  return { messages: running.length, lastOutcomeMs: times.length === running.length && times.length > 0 ? Math.max(...times) - kill.at : undefined };
}

function problemsOf(report: TrafficReport, plan: TrafficPlan): string[] {
  const problems: string[] = [];
  const list = (what: string, items: string[]) => {
    if (items.length > 0) problems.push(`${items.length} ${what}: ${items.slice(0, 20).join('; ')}${items.length > 20 ? ' …' : ''}`);
  };
  list('duplicate answers', report.duplicates);
  list('lost messages', report.lost);
  list('threads out of order', report.outOfOrder);
  list('messages never acknowledged', report.notAccepted);
  list('stray interruptions', report.strayInterruptions);
  list('unexpected messages', report.unexpected);
  list('unresolved confirmations', report.confirmations.unresolved);
  if (plan.confirmations > 0 && report.confirmations.pressedOnAnotherProcess === 0) problems.push('no confirmation was pressed on another process than its turn\'s');
  if (report.takeOver.lastOutcomeMs !== undefined && report.takeOver.lastOutcomeMs > TAKE_OVER_LIMIT_MS) {
    problems.push(`the killed process's turns took ${report.takeOver.lastOutcomeMs} ms to be taken over (expected within about ${TAKE_OVER_LIMIT_MS / 1000} s)`);
  }
  for (const event of report.processEvents) {
    if (event.what !== 'SIGTERM' && event.what !== 'stopped at the end') continue;
    if (event.code !== 0) problems.push(`${event.name} exited with ${event.code} after ${event.what}`);
    else if ((event.exitMs ?? 0) > plan.shutdownTimeoutS * 1000 + 5_000) problems.push(`${event.name} took ${event.exitMs} ms to exit after ${event.what} (SHUTDOWN_TIMEOUT_S=${plan.shutdownTimeoutS})`);
  }
  return problems;
}

/** The report as the soak prints it: the figures first, then each problem. */
export function reportLines(report: TrafficReport): string[] {
  const processLine = report.processEvents
    .filter((event) => event.what !== 'started')
    .map((event) => `${event.name} ${event.what}${event.code !== undefined ? ` → exit ${event.code} in ${event.exitMs} ms` : ''}${event.midTool ? ` (mid-tool: ${event.midTool.join(', ') || 'none'})` : ''}`)
    .join('; ');
  return [
    `answers: ${report.answered}, duplicates: ${report.duplicates.length}, lost: ${report.lost.length}, out of order: ${report.outOfOrder.length}`,
    `answer latency p50: ${report.latency.p50} ms, p95: ${report.latency.p95} ms`,
    `events: ${report.events} (${report.redeliveries} redeliveries), messages accepted: ${report.accepted}, interrupted-tool messages: ${report.interrupted}, cut-off streams: ${report.cutAnswers}`,
    `take-over: ${report.takeOver.messages} messages the killed process was running, ${report.takeOver.lastOutcomeMs === undefined ? 'not all taken over' : `the last taken over ${report.takeOver.lastOutcomeMs} ms after the kill`}`,
    `confirmations: ${report.confirmations.asked} asked, ${report.confirmations.pressedOnAnotherProcess} pressed on another process, ${report.confirmations.resolved} resolved`,
    `processes: ${processLine}`,
    ...report.problems.map((problem) => `PROBLEM: ${problem}`),
  ];
}
