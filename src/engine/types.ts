import type { Asker } from '../access/index.js';
import type { FormField } from './elicitation-form.js';
import type { Question } from './questions.js';

/** Everything the engine knows about a message: no platform objects cross this line. */
export interface IncomingMessage {
  /** `platform:workspace-or-guild:channel:thread`; one history and one queue per key. */
  threadKey: string;
  /** Who asked, and where: access control and the rate limit go by it. */
  asker: Asker;
  /** The author as the platform shows them; in a shared thread the model reads it before the text, to tell people apart. */
  authorName?: string;
  text: string;
}

/** A tool call waiting for its asker's Approve or Deny; no answer by `expiresAt` counts as Deny. */
export interface ConfirmationRequest extends Question {
  server: string;
  /** As its server names it. */
  tool: string;
  arguments: Record<string, unknown>;
}

/** `cancelled`: the question could not be put, or the bot is stopping. */
export type ConfirmationOutcome = 'approved' | 'denied' | 'timed-out' | 'cancelled';

/** A server asking the person behind a tool call to fill in a form (MCP elicitation). */
export interface ElicitationRequest extends Question {
  server: string;
  tool: string;
  /** The server's own words: what it wants and why. */
  message: string;
  fields: FormField[];
}

export type ElicitationOutcome = 'accepted' | 'declined' | 'timed-out' | 'cancelled';

/** `detail`: what a long-running tool last reported (its progress notifications). */
export type TurnProgress = { type: 'tool'; tool: string; server: string; step: number; detail?: string };

export interface ImageAttachment {
  data: Buffer;
  mimeType: string;
  filename: string;
}

export interface FinalAnswer {
  text: string;
  /** Images tools returned during the turn, for the adapter to attach. */
  images: ImageAttachment[];
}

/** How an adapter receives one turn's output; each platform implements it for one thread. */
export interface Reply {
  progress(event: TurnProgress): Promise<void>;
  final(answer: FinalAnswer): Promise<void>;
  /** A short, user-facing sentence; the details are in the logs. */
  error(message: string): Promise<void>;
  /** Shows the call with Approve and Deny buttons (see `confirmationText`); resolves once they are up. */
  askConfirmation(request: ConfirmationRequest): Promise<void>;
  /** Replaces the buttons with how it ended (see `confirmationOutcomeText`). */
  endConfirmation(request: ConfirmationRequest, outcome: ConfirmationOutcome): Promise<void>;
  /** Shows a server's form with a way to fill it in or decline (see `elicitationText`); resolves once it is up. */
  askElicitation(request: ElicitationRequest): Promise<void>;
  /** Replaces the form with how it ended (see `settledElicitationText`). */
  endElicitation(request: ElicitationRequest, outcome: ElicitationOutcome): Promise<void>;
}

export interface ServerTools {
  server: string;
  state: string;
  /** `asksFirst`: runs only after the asker approves it. */
  tools: { name: string; description: string; asksFirst: boolean }[];
}
