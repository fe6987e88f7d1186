import type { Asker } from '../access/index.js';
import type { ConnectLink } from '../mcp/types.js';
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
  /** Files attached to the message; the engine reads those it can (see IncomingFile). */
  files?: IncomingFile[];
}

/** A file a person attached to a message. The engine reads text files as text and images as image parts (with LLM_VISION), and tells the person about the rest. */
export interface IncomingFile {
  name: string;
  /** As the platform reports it; empty or `application/octet-stream` when it does not know. */
  mimeType: string;
  /** Bytes, as the platform reports it: checked before anything is downloaded. */
  size: number;
  /** The file's bytes, fetched with the bot's credentials where the platform needs them. */
  download(): Promise<Buffer>;
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
  /**
   * A page the server wants the person to open (URL-mode elicitation: a sign-in, a payment), shown
   * as a link; `fields` is then empty, and accepting says they went there. MCP spec 2025-11-25,
   * client/elicitation, URL mode.
   */
  url?: string;
}

export type ElicitationOutcome = 'accepted' | 'declined' | 'timed-out' | 'cancelled';

export interface ImageAttachment {
  data: Buffer;
  mimeType: string;
  filename: string;
}

/** A tool call as people see it; `step` counts the turn's calls from 1 and tells two calls of one tool apart. */
export interface ToolStep {
  step: number;
  server: string;
  /** As its server names it. */
  tool: string;
}

/**
 * One turn's output, in the order the engine produces it; each platform renders it its own way (Slack
 * stream chunks and task cards, Discord message edits, console lines).
 *
 * - `text`: more of the answer as the model writes it. Provisional: `answer` has the final text, which
 *   is almost always what the deltas added up to; where it is not (a leaked control token, a reasoning
 *   block that only its end revealed), the renderer shows `answer.text` instead. Text a model wrote
 *   before calling a tool stays, as the lead-in to what follows. A reply held back whole (it began
 *   like a tool call), or a model that does not stream, sends no `text`: `answer` has it all.
 * - `tool-planned`: the model asked for this call; it runs when the calls before it have (pending).
 * - `tool-started` / `tool-progress` / `tool-finished`: one tool call, every call however fast. A
 *   planned call that does not run (its arguments do not fit, its asker denies it) finishes not ok.
 * - `task-started`: the call runs as an MCP task; until the step's `tool-finished` a renderer offers the
 *   asker a Cancel, which reaches `ConversationEngine.cancelTask` with `cancelId`. The task's status
 *   comes as `tool-progress`.
 * - `confirmation-asked` / `form-asked`: a question to the asker; the event's promise resolves once it
 *   is up. `…-ended` takes it away with how it ended.
 * - `notice`: a short line about the question itself (a file that could not be read).
 * - `connect-links`: for the asker's eyes only, never the thread: links that connect their own account
 *   on per-person servers (Slack: an ephemeral message; Discord: an ephemeral reply or a DM; console:
 *   standard error). `connectLinksText` words them.
 * - `answer`: the turn's last word, once; `error`: the turn failed, once, instead of `answer`. After
 *   streamed text, the renderer keeps that text and adds the error line below it, so a broken answer
 *   never looks whole.
 * - `withdrawn`: instead of `answer` or `error`, where several processes share the turns: another
 *   process took this turn over (this one stalled past its lease) and answers the message itself, so
 *   the renderer removes every message this turn posted; the thread shows that process's answer alone.
 */
export type TurnEvent =
  | { type: 'text'; delta: string }
  | ({ type: 'tool-planned' } & ToolStep)
  | ({ type: 'tool-started' } & ToolStep)
  | ({ type: 'tool-progress'; detail: string } & ToolStep)
  | ({ type: 'tool-finished'; ok: boolean } & ToolStep)
  | ({ type: 'task-started'; cancelId: string } & ToolStep)
  | { type: 'confirmation-asked'; request: ConfirmationRequest }
  | { type: 'confirmation-ended'; request: ConfirmationRequest; outcome: ConfirmationOutcome }
  | { type: 'form-asked'; request: ElicitationRequest }
  | { type: 'form-ended'; request: ElicitationRequest; outcome: ElicitationOutcome }
  | { type: 'notice'; text: string }
  | { type: 'connect-links'; links: ConnectLink[] }
  | { type: 'answer'; text: string; images: ImageAttachment[] }
  | { type: 'error'; message: string }
  | { type: 'withdrawn' };

/**
 * Where one turn's output goes: a platform implements it for one thread. The engine awaits each
 * event in order; `text` events come many a second, so a renderer buffers them and returns at once
 * rather than waiting on its platform. A rejected promise is logged and the turn goes on.
 */
export interface TurnOutput {
  emit(event: TurnEvent): Promise<void>;
}

export interface ServerTools {
  server: string;
  /** A ServerState; for a per-person server, whether the asker's own account is `connected` or `not connected`. */
  state: string;
  /** `asksFirst`: runs only after the asker approves it. */
  tools: { name: string; description: string; asksFirst: boolean }[];
}
