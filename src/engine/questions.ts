import { randomUUID } from 'node:crypto';
import type Keyv from 'keyv';
import type { Logger } from '../logging/logger.js';

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
  /** Nothing here waits for it: it ended already, or (`restarted`) it was asked before this process started. */
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

/**
 * Questions to the person behind a turn (confirm a tool call, fill in a server's form), each waiting for
 * their answer, the time-out, or `cancelAll`. Waiting happens in memory; each question is also kept in
 * the store for as long as it may wait, so an answer given after a restart is known as one whose turn
 * ended with the old process and is closed cleanly rather than left to hang.
 */
export class QuestionBroker {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly kv: Keyv | undefined,
    private readonly log: Logger,
  ) {}

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

  /** A question still waiting, so a platform can build its form or refuse someone else before opening it. */
  waitingQuestion(id: string): Question | undefined {
    return this.waiting.get(id)?.question;
  }

  /** An answer from `userId`: only the person who asked decides. */
  async answer(id: string, userId: string, answer: unknown): Promise<AnswerResult> {
    const waiting = this.waiting.get(id);
    if (waiting) {
      if (waiting.question.askerId !== userId) return { kind: 'not-yours', askerId: waiting.question.askerId };
      const accepted = waiting.accept(answer);
      if (!accepted.ok) return { kind: 'invalid', message: accepted.message };
      waiting.settle({ kind: 'answered', answer: accepted.value });
      return { kind: 'answered' };
    }
    const stored = await this.kv?.get(storeKey(id)).catch((error: unknown) => this.log.warn({ err: error, question: id }, 'question store unreachable'));
    if (stored === undefined) return { kind: 'gone', restarted: false };
    await this.forget(id, this.log);
    return { kind: 'gone', restarted: true };
  }

  /** Ends every wait as cancelled, e.g. when the bot stops: a person may take minutes, a shutdown cannot. */
  cancelAll(): void {
    for (const waiting of [...this.waiting.values()]) waiting.settle({ kind: 'cancelled' });
  }

  private async remember(question: Question, timeoutMs: number, log: Logger): Promise<void> {
    try {
      await this.kv?.set(storeKey(question.id), { threadKey: question.threadKey, askerId: question.askerId }, timeoutMs);
    } catch (error) {
      // Waiting still works; only a restart during it would leave the question without an answer.
      log.warn({ err: error }, 'question could not be recorded in the store');
    }
  }

  private async forget(id: string, log: Logger): Promise<void> {
    await this.kv?.delete(storeKey(id)).catch((error: unknown) => log.warn({ err: error }, 'question could not be removed from the store'));
  }
}
