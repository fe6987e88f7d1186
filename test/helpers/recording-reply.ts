import type { FinalAnswer, Reply, TurnProgress } from '../../src/engine/index.js';

/** A Reply that keeps what the engine sent, for engine-level tests. */
export class RecordingReply implements Reply {
  readonly progressEvents: TurnProgress[] = [];
  answer: FinalAnswer | undefined;
  errorMessage: string | undefined;

  async progress(event: TurnProgress): Promise<void> {
    this.progressEvents.push(event);
  }

  async final(answer: FinalAnswer): Promise<void> {
    this.answer = answer;
  }

  async error(message: string): Promise<void> {
    this.errorMessage = message;
  }
}
