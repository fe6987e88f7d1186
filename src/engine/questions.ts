import { randomUUID } from 'node:crypto';
import type Keyv from 'keyv';
import type { Logger } from '../logging/logger.js';
import { serveForwarded, type MessageBus } from '../store/types.js';

/** What every question to a person has: who alone may answer it, and until when. */
export interface Question {
  id: string;
  threadKey: string;
  /** The only person whose answer counts. */
  askerId: string;
  /** When no answer counts as none (ms since the epoch). */
  expiresAt: number;
}

/** How a question ended: its answer, no answer in time, or given up (the bot stops, or it could not be shown). */
export type QuestionEnd<A> = { kind: 'answered'; answer: A } | { kind: 'timed-out' } | { kind: 'cancelled' };

/** What an answer came to. */
export type AnswerResult =
  | { kind: 'answered' }
  /** The answer does not fit the question (e.g. a form value of the wrong type); it stays open. */
  | { kind: 'invalid'; message: string }
  | { kind: 'not-yours'; askerId: string }
  /**
   * Nothing waits for it: it ended already, or (`restarted`) the process whose turn asked it is gone
   * (it was asked before this process started, or by another process that stopped since).
   */
  | { kind: 'gone'; restarted: boolean };

/** How a question is put in front of people and taken away again: through the turn's output. */
export interface QuestionPrompt<Q extends Question, A> {
  show(question: Q): Promise<void>;
  end(question: Q, end: QuestionEnd<A>): Promise<void>;
}

interface Waiting {
  question: Question;
  /** Checks an answer and turns it into what the asker of the question gets, or says what is wrong. */
  accept(answer: unknown): { ok: true; value: unknown } | { ok: false; message: string };
  settle(end: QuestionEnd<unknown>): void;
}

const storeKey = (id: string) => `question:${id}`;

/** A waiting question as the store keeps it while it may wait. */
interface StoredQuestion {
  /** The whole question, so another process can check an answer's author and build the question's form. */
  question: Question;
  /** The bus id of the process whose turn waits; absent where one process serves the store. */
  owner?: string;
}

/** An answer given on one process, on its way to the process whose turn waits for it. */
interface ForwardedAnswer {
  id: string;
  userId: string;
  answer: unknown;
}

/** Where a process hears answers to its questions given on other processes. */
const answersChannel = (processId: string) => `questions:${processId}`;

/** How long an answer handed to the waiting process may take to come back with its result (ms). */
const FORWARD_TIMEOUT_MS = 5_000;

const ANSWER_KINDS = new Set<string>(['answered', 'invalid', 'not-yours', 'gone']);
const isAnswerResult = (value: unknown): value is AnswerResult => typeof value === 'object' && value !== null && ANSWER_KINDS.has((value as AnswerResult).kind);

const isForwardedAnswer = (value: unknown): value is ForwardedAnswer =>
  typeof value === 'object' && value !== null && typeof (value as ForwardedAnswer).id === 'string' && typeof (value as ForwardedAnswer).userId === 'string';

/**
 * Questions to the person behind a turn (confirm a tool call, fill in a server's form), each waiting for
 * their answer, the time-out, or `cancelAll`. The wait itself is in the memory of the process whose
 * turn asked; the whole question is also kept in the store for as long as it may wait, with that
 * process's id where processes share the store. So an answer given on another process (a button press
 * that lands there) is checked against the stored asker and handed over the bus to the waiting one,
 * and an answer given after a restart is known as one whose turn ended with the old process and is
 * closed cleanly rather than left to hang.
 */
export class QuestionBroker {
  private readonly waiting = new Map<string, Waiting>();
  /** Resolves once this process hears answers forwarded by others (at once without a bus). */
  private readonly serving: Promise<void>;

  /** @param bus where several processes share the store; absent, questions are answered where they wait */
  constructor(
    private readonly kv: Keyv | undefined,
    private readonly log: Logger,
    private readonly bus?: MessageBus,
  ) {
    this.serving = serveForwarded(bus, answersChannel, (body) => this.answerForwarded(body), log, 'answers');
  }

  /**
   * Shows the question, waits, then shows how it ended. `accept` checks each answer and turns it into
   * the answer returned (for an answer of the wrong shape it returns a message for the person).
   */
  async ask<Q extends Question, A>(
    fields: Omit<Q, 'id' | 'expiresAt'>,
    timeoutMs: number,
    prompt: QuestionPrompt<Q, A>,
    accept: (answer: unknown) => { ok: true; value: A } | { ok: false; message: string },
  ): Promise<QuestionEnd<A>> {
    const question = { ...fields, id: randomUUID(), expiresAt: Date.now() + timeoutMs } as Q;
    const log = this.log.child({ threadKey: question.threadKey, question: question.id });
    const ended = new Promise<QuestionEnd<A>>((resolve) => {
      const timer = setTimeout(() => settle({ kind: 'timed-out' }), timeoutMs);
      const settle = (end: QuestionEnd<unknown>) => {
        clearTimeout(timer);
        this.waiting.delete(question.id);
        resolve(end as QuestionEnd<A>);
      };
      this.waiting.set(question.id, { question, accept, settle });
    });
    await this.remember(question, timeoutMs, log);
    try {
      await prompt.show(question);
      log.info({ asker: question.askerId }, 'waiting for an answer');
    } catch (error) {
      log.error({ err: error }, 'question could not be shown; it counts as unanswered');
      this.waiting.get(question.id)?.settle({ kind: 'cancelled' });
    }
    const end = await ended;
    log.info({ end: end.kind }, 'question ended');
    await this.forget(question.id, log);
    await prompt.end(question, end).catch((error: unknown) => log.warn({ err: error }, 'how the question ended could not be shown'));
    return end;
  }

  /**
   * A question still waiting, here or on another process sharing the store, so a platform can build
   * its form or refuse someone else before opening it.
   */
  async waitingQuestion(id: string): Promise<Question | undefined> {
    const here = this.waiting.get(id);
    if (here) return here.question;
    const stored = await this.read(id);
    return stored && this.elsewhere(stored) ? stored.question : undefined;
  }

  /**
   * An answer from `userId`: only the person who asked decides. A question waiting on another process
   * gets the answer from there; when that process does not answer within a few seconds (it stopped or
   * died), the question counts as gone with its turn.
   */
  async answer(id: string, userId: string, answer: unknown): Promise<AnswerResult> {
    const here = this.answerHere(id, userId, answer);
    if (here) return here;
    const stored = await this.read(id);
    if (stored === undefined) return { kind: 'gone', restarted: false };
    if (this.bus && this.elsewhere(stored)) {
      const { question, owner } = stored;
      if (question.askerId !== userId) return { kind: 'not-yours', askerId: question.askerId };
      const result = await this.bus.request(answersChannel(owner), { id, userId, answer } satisfies ForwardedAnswer, FORWARD_TIMEOUT_MS);
      if (isAnswerResult(result)) return result;
      // Its key runs out with the question's time-out; a slow but live process may still take a later answer.
      this.log.info({ question: id, owner }, 'the process waiting for the answer did not take it: it counts as gone');
      return { kind: 'gone', restarted: true };
    }
    // Asked here, and ended a moment ago.
    if (this.bus && stored.owner === this.bus.processId) return { kind: 'gone', restarted: false };
    // Asked before this process started, by the one process the store served then.
    await this.forget(id, this.log);
    return { kind: 'gone', restarted: true };
  }

  /** Ends every wait as cancelled, e.g. when the bot stops: a person may take minutes, a shutdown cannot. */
  cancelAll(): void {
    for (const waiting of [...this.waiting.values()]) waiting.settle({ kind: 'cancelled' });
  }

  /** An answer to a question waiting in this process; undefined when none waits here. */
  private answerHere(id: string, userId: string, answer: unknown): AnswerResult | undefined {
    const waiting = this.waiting.get(id);
    if (!waiting) return undefined;
    if (waiting.question.askerId !== userId) return { kind: 'not-yours', askerId: waiting.question.askerId };
    const accepted = waiting.accept(answer);
    if (!accepted.ok) return { kind: 'invalid', message: accepted.message };
    waiting.settle({ kind: 'answered', answer: accepted.value });
    return { kind: 'answered' };
  }

  /** An answer given on another process to a question of this one. */
  private async answerForwarded(body: unknown): Promise<AnswerResult> {
    if (!isForwardedAnswer(body)) return { kind: 'gone', restarted: false };
    const result = this.answerHere(body.id, body.userId, body.answer) ?? { kind: 'gone', restarted: false };
    this.log.info({ question: body.id, user: body.userId, result: result.kind }, 'answer given on another process');
    return result;
  }

  /** The question was asked by another process sharing the store (which may have stopped since). */
  private elsewhere(stored: StoredQuestion): stored is Required<StoredQuestion> {
    return this.bus !== undefined && stored.owner !== undefined && stored.owner !== this.bus.processId && typeof stored.question === 'object';
  }

  private async read(id: string): Promise<StoredQuestion | undefined> {
    try {
      return (await this.kv?.get(storeKey(id))) as StoredQuestion | undefined;
    } catch (error) {
      this.log.warn({ err: error, question: id }, 'question store unreachable');
      return undefined;
    }
  }

  private async remember(question: Question, timeoutMs: number, log: Logger): Promise<void> {
    await this.serving;
    const stored: StoredQuestion = { question, ...(this.bus ? { owner: this.bus.processId } : {}) };
    try {
      await this.kv?.set(storeKey(question.id), stored, timeoutMs);
    } catch (error) {
      // Waiting still works; only an answer on another process, or after a restart, would not find it.
      log.warn({ err: error }, 'question could not be recorded in the store');
    }
  }

  private async forget(id: string, log: Logger): Promise<void> {
    await this.kv?.delete(storeKey(id)).catch((error: unknown) => log.warn({ err: error }, 'question could not be removed from the store'));
  }
}
