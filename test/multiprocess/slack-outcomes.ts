import { EventEmitter } from 'node:events';
import type { FakeSlack, SlackCall, SlackMessage } from '../fakes/fake-slack.js';
import { ANSWER_MARK } from './scripted-model.js';

/** The Web API calls that write text a person reads. */
const WRITES = new Set(['chat.postMessage', 'chat.update', 'chat.startStream', 'chat.appendStream', 'chat.stopStream']);
const INTERRUPTED = /I was interrupted while using `([^`]+)` \(([^)]+)\)/;
const APPROVE_ACTION = 'confirm_approve';

/** A piece of output as it first became readable in Slack, numbered in the order Slack received it. */
export interface Appearance {
  ts: string;
  /** Order among everything the observer saw. */
  seq: number;
  at: number;
}

export interface AnswerAppearance extends Appearance {
  id: string;
}

export interface Interruption extends Appearance {
  threadTs: string;
  tool: string;
  server: string;
}

/** A confirmation question as posted: its message and its Approve button's value. */
export interface PostedQuestion {
  message: SlackMessage;
  value: string;
}

/**
 * Reads what people would see from the fake Slack's records as they arrive: each answer (by the id the
 * model put in it) the moment its message first shows it complete, each interrupted-tool message, and
 * each confirmation question. Text is read from the message as it stands after each call (streamed
 * chunks joined, blocks included), so an answer split over a stream's calls is found once it is whole.
 */
export class SlackOutcomes {
  /** Every message (by ts) an answer appeared in, by message id: more than one is a duplicate. */
  readonly answers = new Map<string, AnswerAppearance[]>();
  readonly interruptions: Interruption[] = [];
  readonly questions: PostedQuestion[] = [];
  /** ts of messages that carried confirmation buttons. */
  readonly questionTs = new Set<string>();
  private readonly seen = new Set<string>();
  private readonly events = new EventEmitter();
  private seq = 0;

  constructor(private readonly slack: FakeSlack) {
    this.events.setMaxListeners(0);
    // The fake records every call; the observer reads each one right after it is recorded.
    const record = slack.calls.push.bind(slack.calls);
    slack.calls.push = (call: SlackCall) => {
      record(call);
      this.observe(call);
    };
  }

  onQuestion(listener: (question: PostedQuestion) => void): void {
    this.events.on('question', listener);
  }

  /** Calls `check` after every new answer or interruption until it returns true; false after `timeoutMs`. */
  until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onOutcome = () => {
        if (!check()) return;
        done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (result: boolean) => {
        clearTimeout(timer);
        this.events.off('outcome', onOutcome);
        resolve(result);
      };
      this.events.on('outcome', onOutcome);
    });
  }

  /** Answers and interruptions seen so far. */
  get outcomeCount(): number {
    return this.seq;
  }

  interruptionsIn(threadTs: string): Interruption[] {
    return this.interruptions.filter((interruption) => interruption.threadTs === threadTs);
  }

  private observe(call: SlackCall): void {
    if (call.method === 'chat.delete' && call.outcome === 'ok') return this.forget(String(call.args.ts));
    if (!WRITES.has(call.method) || call.outcome !== 'ok') return;
    const ts = String(call.result?.ts ?? call.args.ts ?? '');
    const message = this.slack.messages.get(ts);
    if (!message) return;
    const visible = `${message.text}\n${JSON.stringify(message.blocks ?? [])}`;
    const at = Date.now();
    for (const match of visible.matchAll(ANSWER_MARK)) {
      const id = match[1]!;
      if (this.once(`${ts}|${id}`)) this.outcome(() => this.answers.set(id, [...(this.answers.get(id) ?? []), { id, ts, seq: this.seq, at }]));
    }
    const interrupted = INTERRUPTED.exec(visible);
    if (interrupted && this.once(`${ts}|interrupted`)) {
      this.outcome(() => this.interruptions.push({ ts, seq: this.seq, at, threadTs: message.threadTs ?? '', tool: interrupted[1]!, server: interrupted[2]! }));
    }
    const value = approveValue(message);
    if (value !== undefined && this.once(`question|${value}`)) {
      this.questionTs.add(ts);
      const question = { message, value };
      this.questions.push(question);
      this.events.emit('question', question);
    }
  }

  /**
   * A message the bot removed (a take-over replacing what a stopped process had posted) no longer
   * shows its answer: people see the one that replaces it, not two.
   */
  private forget(ts: string): void {
    for (const [id, appearances] of this.answers) {
      const left = appearances.filter((appearance) => appearance.ts !== ts);
      if (left.length === 0) this.answers.delete(id);
      else this.answers.set(id, left);
    }
  }

  private once(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  private outcome(record: () => void): void {
    this.seq += 1;
    record();
    this.events.emit('outcome');
  }
}

/** The value of a message's Approve button (the question's id), if it has one. */
function approveValue(message: SlackMessage): string | undefined {
  for (const block of message.blocks ?? []) {
    for (const element of (block as { elements?: { action_id?: string; value?: string }[] }).elements ?? []) {
      if (element.action_id === APPROVE_ACTION && element.value !== undefined) return element.value;
    }
  }
  return undefined;
}
