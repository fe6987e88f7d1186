import type { ConfirmationOutcome, ConfirmationRequest, ElicitationOutcome, ElicitationRequest, ImageAttachment, ToolStep, TurnEvent } from '../../engine/index.js';

/**
 * A platform that shows a turn step by step rather than as it streams: one method per kind of event,
 * text deltas left out (the `answer` event carries the whole text) and a tool's end not shown.
 */
export interface StepRenderer {
  progress(step: ToolStep & { detail?: string }): Promise<void>;
  final(answer: { text: string; images: ImageAttachment[] }): Promise<void>;
  error(message: string): Promise<void>;
  notice(text: string): Promise<void>;
  askConfirmation(request: ConfirmationRequest): Promise<void>;
  endConfirmation(request: ConfirmationRequest, outcome: ConfirmationOutcome): Promise<void>;
  askElicitation(request: ElicitationRequest): Promise<void>;
  endElicitation(request: ElicitationRequest, outcome: ElicitationOutcome): Promise<void>;
}

/** Hands one event to the renderer's method for its kind. */
export async function renderStep(renderer: StepRenderer, event: TurnEvent): Promise<void> {
  switch (event.type) {
    case 'text':
    case 'tool-finished':
      return;
    case 'tool-started':
      return renderer.progress(event);
    case 'tool-progress':
      return renderer.progress(event);
    case 'confirmation-asked':
      return renderer.askConfirmation(event.request);
    case 'confirmation-ended':
      return renderer.endConfirmation(event.request, event.outcome);
    case 'form-asked':
      return renderer.askElicitation(event.request);
    case 'form-ended':
      return renderer.endElicitation(event.request, event.outcome);
    case 'notice':
      return renderer.notice(event.text);
    case 'answer':
      return renderer.final(event);
    case 'error':
      return renderer.error(event.message);
  }
}
