import type { ConfirmationOutcome, ConfirmationRequest, ElicitationOutcome, ElicitationRequest, FinalAnswer, Reply, TurnProgress } from '../../src/engine/index.js';
import { Recorder } from './recorder.js';

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

  readonly confirmationsAsked = new Recorder<ConfirmationRequest>();
  readonly confirmationsEnded = new Recorder<{ request: ConfirmationRequest; outcome: ConfirmationOutcome }>();

  async askConfirmation(request: ConfirmationRequest): Promise<void> {
    this.confirmationsAsked.push(request);
  }

  async endConfirmation(request: ConfirmationRequest, outcome: ConfirmationOutcome): Promise<void> {
    this.confirmationsEnded.push({ request, outcome });
  }

  readonly elicitationsAsked = new Recorder<ElicitationRequest>();
  readonly elicitationsEnded = new Recorder<{ request: ElicitationRequest; outcome: ElicitationOutcome }>();

  async askElicitation(request: ElicitationRequest): Promise<void> {
    this.elicitationsAsked.push(request);
  }

  async endElicitation(request: ElicitationRequest, outcome: ElicitationOutcome): Promise<void> {
    this.elicitationsEnded.push({ request, outcome });
  }
}
