import type { ConfirmationOutcome, ConfirmationRequest, ElicitationOutcome, ElicitationRequest, ImageAttachment, TurnEvent, TurnOutput } from '../../src/engine/index.js';
import { Recorder } from './recorder.js';

type ToolShown = Extract<TurnEvent, { type: 'tool-started' | 'tool-progress' }>;

/** A TurnOutput that keeps what the engine sent, for engine-level tests. */
export class RecordingReply implements TurnOutput {
  /** Every event, in order. */
  readonly events: TurnEvent[] = [];
  /** A tool starting, and what it reported while it ran. */
  readonly progressEvents: ToolShown[] = [];
  answer: { text: string; images: ImageAttachment[] } | undefined;
  errorMessage: string | undefined;
  readonly confirmationsAsked = new Recorder<ConfirmationRequest>();
  readonly confirmationsEnded = new Recorder<{ request: ConfirmationRequest; outcome: ConfirmationOutcome }>();
  readonly elicitationsAsked = new Recorder<ElicitationRequest>();
  readonly elicitationsEnded = new Recorder<{ request: ElicitationRequest; outcome: ElicitationOutcome }>();

  /** The text deltas so far, joined. */
  streamedText(): string {
    return this.events.map((event) => (event.type === 'text' ? event.delta : '')).join('');
  }

  async emit(event: TurnEvent): Promise<void> {
    this.events.push(event);
    switch (event.type) {
      case 'tool-started':
      case 'tool-progress':
        this.progressEvents.push(event);
        return;
      case 'answer':
        this.answer = { text: event.text, images: event.images };
        return;
      case 'error':
        this.errorMessage = event.message;
        return;
      case 'confirmation-asked':
        this.confirmationsAsked.push(event.request);
        return;
      case 'confirmation-ended':
        this.confirmationsEnded.push({ request: event.request, outcome: event.outcome });
        return;
      case 'form-asked':
        this.elicitationsAsked.push(event.request);
        return;
      case 'form-ended':
        this.elicitationsEnded.push({ request: event.request, outcome: event.outcome });
        return;
      default:
        return;
    }
  }
}

type TaskStarted = Extract<TurnEvent, { type: 'task-started' }>;

/** A RecordingReply that also lets a test wait for the step that runs as a task, and read its status lines. */
export class TaskReply extends RecordingReply {
  readonly seen = new Recorder<TurnEvent>();
  override async emit(event: TurnEvent): Promise<void> {
    await super.emit(event);
    this.seen.push(event);
  }
  taskStarted(): Promise<TaskStarted> {
    return this.seen.waitFor((event) => event.type === 'task-started', { what: 'a task to start' }) as Promise<TaskStarted>;
  }
  details(): string[] {
    return this.progressEvents.flatMap((event) => (event.type === 'tool-progress' ? [event.detail] : []));
  }
}
