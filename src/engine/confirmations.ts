import { randomUUID } from 'node:crypto';
import type Keyv from 'keyv';
import type { Logger } from '../logging/logger.js';
import type { ConfirmationOutcome, ConfirmationRequest } from './types.js';

/** What pressing a button came to. */
export type DecisionResult =
  | { kind: 'decided'; outcome: 'approved' | 'denied' }
  | { kind: 'not-yours'; askerId: string }
  /** Nothing here waits for it: it ended already, or (`restarted`) it was asked before this process started. */
  | { kind: 'gone'; restarted: boolean };

/** How a confirmation is put in front of people and taken away again: the turn's Reply. */
export interface ConfirmationPrompt {
  askConfirmation(request: ConfirmationRequest): Promise<void>;
  endConfirmation(request: ConfirmationRequest, outcome: ConfirmationOutcome): Promise<void>;
}

interface Waiting {
  request: ConfirmationRequest;
  settle(outcome: ConfirmationOutcome): void;
}

const storeKey = (id: string) => `confirmation:${id}`;

/**
 * Tool calls waiting for their asker's Approve or Deny. Waiting happens in memory; each request is
 * also kept in the store for as long as it may wait, so a button pressed after a restart is known as
 * one whose turn ended with the old process, and is closed as denied rather than left to hang.
 */
export class ConfirmationBroker {
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly kv: Keyv | undefined,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  /** Shows the request, waits for the asker (or the time-out, or `cancelAll`), then shows how it ended. */
  async ask(fields: Omit<ConfirmationRequest, 'id' | 'expiresAt'>, prompt: ConfirmationPrompt): Promise<ConfirmationOutcome> {
    const request: ConfirmationRequest = { ...fields, id: randomUUID(), expiresAt: Date.now() + this.timeoutMs };
    const log = this.log.child({ threadKey: request.threadKey, server: request.server, tool: request.tool, confirmation: request.id });
    const ended = new Promise<ConfirmationOutcome>((resolve) => {
      const timer = setTimeout(() => settle('timed-out'), this.timeoutMs);
      const settle = (outcome: ConfirmationOutcome) => {
        clearTimeout(timer);
        this.waiting.delete(request.id);
        resolve(outcome);
      };
      this.waiting.set(request.id, { request, settle });
    });
    await this.remember(request, log);
    try {
      await prompt.askConfirmation(request);
      log.info({ asker: request.askerId }, 'waiting for confirmation');
    } catch (error) {
      log.error({ err: error }, 'confirmation could not be shown; the call counts as not approved');
      this.waiting.get(request.id)?.settle('cancelled');
    }
    const outcome = await ended;
    log.info({ outcome }, 'confirmation ended');
    await this.forget(request.id, log);
    await prompt.endConfirmation(request, outcome).catch((error: unknown) => log.warn({ err: error }, 'confirmation outcome could not be shown'));
    return outcome;
  }

  /** A button press: only the person who asked decides. */
  async decide(id: string, userId: string, approve: boolean): Promise<DecisionResult> {
    const waiting = this.waiting.get(id);
    if (waiting) {
      if (waiting.request.askerId !== userId) return { kind: 'not-yours', askerId: waiting.request.askerId };
      const outcome = approve ? 'approved' : 'denied';
      waiting.settle(outcome);
      return { kind: 'decided', outcome };
    }
    const stored = await this.kv?.get(storeKey(id)).catch((error: unknown) => this.log.warn({ err: error, confirmation: id }, 'confirmation store unreachable'));
    if (stored === undefined) return { kind: 'gone', restarted: false };
    await this.forget(id, this.log);
    return { kind: 'gone', restarted: true };
  }

  /** Ends every wait as `cancelled`, e.g. when the bot stops: a person may take minutes, a shutdown cannot. */
  cancelAll(): void {
    for (const waiting of [...this.waiting.values()]) waiting.settle('cancelled');
  }

  private async remember(request: ConfirmationRequest, log: Logger): Promise<void> {
    try {
      await this.kv?.set(storeKey(request.id), { threadKey: request.threadKey, askerId: request.askerId }, this.timeoutMs);
    } catch (error) {
      // Waiting still works; only a restart during it would leave the buttons without an answer.
      log.warn({ err: error }, 'confirmation could not be recorded in the store');
    }
  }

  private async forget(id: string, log: Logger): Promise<void> {
    await this.kv?.delete(storeKey(id)).catch((error: unknown) => log.warn({ err: error }, 'confirmation could not be removed from the store'));
  }
}
