import { DiscordAPIError } from 'discord.js';
import {
  confirmationText,
  connectLinksText,
  elicitationText,
  settledConfirmationText,
  settledElicitationText,
  taskEndedText,
  taskStartedText,
  type ImageAttachment,
  type TurnEvent,
  type TurnOutput,
} from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { confirmationButtons } from './confirmation-buttons.js';
import { hintFor } from './discord-failures.js';
import { elicitationButtons } from './elicitation-modal.js';
import type { MessageContent, MessageSurface } from './message-surface.js';
import { PacedEdits } from './paced-edits.js';
import type { RestPacing } from './rest-pacing.js';
import { stepList, type StepState } from './step-list.js';
import { taskCancelButton } from './task-cancel-button.js';
import { splitStreamed } from './stream-split.js';

/** Discord's limit for a message's text. */
const MESSAGE_LIMIT = 2_000;
const FILES_PER_MESSAGE = 10;
/** Discord's typing indicator lasts about 10 s. */
const TYPING_INTERVAL_MS = 8_000;
/** At most one edit a second per message, however fast the model writes. */
const EDIT_INTERVAL_MS = 1_000;
const NO_ANSWER_TEXT = 'I have no answer to that.';
/** What a message shows between being posted and recorded (see DiscordReplyOptions.recordPosted): one round trip. */
const UNRECORDED_TEXT = '…';
/** Ends the last message an interaction may post when the answer goes on past it. */
const CUT_SHORT_TEXT = '\n\n*(The answer goes on, but Discord lets me post no more messages here. Ask me in a DM for the rest.)*';

type ConnectLinks = Extract<TurnEvent, { type: 'connect-links' }>['links'];

/**
 * Said in the conversation when the asker's DMs are closed to the bot: the command that gets them
 * the link privately, never the link itself.
 */
function connectByCommandText(links: ConnectLinks): string {
  const commands = links.map((link) => `\`/connect ${link.server}\``).join(' or ');
  return `I couldn't send you a private link to connect your own account (your DMs are closed to me). Run ${commands}: only you will see my answer.`;
}

/** Where and how one turn's output goes on Discord. */
export interface DiscordReplyOptions {
  surface: MessageSurface;
  /**
   * Sends the asker a DM: where what only they may see goes when the surface cannot show it to them
   * alone. Rejects as Discord refuses (50007: they take no DMs from the bot).
   */
  directMessage: (content: string) => Promise<void>;
  pacing: RestPacing;
  log: Logger;
  /** Told the id of every message the turn posts, so a Discord reply to one finds the conversation. */
  onPosted?: (messageId: string) => void;
  /**
   * Records each message the turn posts, for a process that takes the turn over. Where it is given, a
   * message shows what it says only once this resolved for it (see TurnLease.mayBeTakenOver): it is
   * posted as a placeholder, recorded, then edited.
   */
  recordPosted?: (messageId: string) => Promise<void>;
}

/** A message of the answer being written, and the edits still to make to it; `id` changes if it had to be posted anew. */
interface AnswerMessage {
  id: string;
  edits: PacedEdits;
}

/** Discord's "Unknown Message": someone deleted it. */
const UNKNOWN_MESSAGE = 10008;

/**
 * One turn's output on Discord, as people watch it being written. The answer streams into a message
 * edited at most once a second (and within the REST rate limits discord.js reports); past 2,000
 * characters that message is finished on a clean boundary (a cut code block closed and reopened with
 * its language in the next) and the text goes on in a new one. While the turn runs, its tool calls are
 * a compact list above the answer's newest part; the list goes when the turn ends. `answer` makes the
 * text exactly the final one; `error` after text keeps the text and adds the error below it.
 * Questions (Approve/Deny, a server's form) and notices are messages of their own: text after them
 * continues below, so the thread reads in order. Connect links never appear in the conversation:
 * they go to the asker alone (see tellPrivately).
 */
export class DiscordReply implements TurnOutput {
  private readonly steps = new Map<number, StepState>();
  /** The text deltas so far, and where the part in `messages` starts (after the last question or notice). */
  private streamed = '';
  private segmentStart = 0;
  /** Set by `answer`/`error`: the text the segment's messages end with. */
  private finalSegment: string | undefined;
  private messages: AnswerMessage[] = [];
  /** Every message recorded for a take-over (see DiscordReplyOptions.recordPosted): what a withdrawn turn removes. */
  private readonly recorded: string[] = [];
  /** Renders run one at a time; one more is queued at most, since each renders the latest state. */
  private rendering: Promise<void> = Promise.resolve();
  private renderQueued = false;
  /** A render's failure, for the flush that waits on it to throw. */
  private renderFailure: unknown;
  /** Set when Discord refused a post: streaming stops trying, and the end tries once more and logs. */
  private postRefused = false;
  /** Messages this turn has posted, for a surface that allows only so many. */
  private posts = 0;
  private readonly questions = new Map<string, string>();
  /** The cancel id of each step running as a task, by step: its Cancel goes when the step ends. */
  private readonly taskSteps = new Map<number, string>();
  /** Connect links waiting for the surface's first message before they can go privately (see tellPrivately). */
  private readonly heldNotes: MessageContent[] = [];
  private typingTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DiscordReplyOptions) {
    this.startTyping();
  }

  async emit(event: TurnEvent): Promise<void> {
    switch (event.type) {
      case 'text':
        this.streamed += event.delta;
        return this.scheduleRender();
      case 'tool-planned':
        // Edits are paced a second apart: a call's first state worth a line is its running.
        return;
      case 'tool-started':
      case 'tool-progress':
      case 'tool-finished': {
        const detail = event.type === 'tool-progress' ? event.detail : this.steps.get(event.step)?.detail;
        const state = event.type === 'tool-finished' ? (event.ok ? 'done' : 'failed') : 'running';
        this.steps.set(event.step, { step: event.step, server: event.server, tool: event.tool, state, detail });
        this.scheduleRender();
        return event.type === 'tool-finished' ? this.endTask(event.step, event.ok) : undefined;
      }
      case 'task-started':
        this.taskSteps.set(event.step, event.cancelId);
        return this.ask(event.cancelId, { content: taskStartedText(event), components: [taskCancelButton(event.cancelId)] });
      case 'confirmation-asked':
        return this.ask(event.request.id, { content: confirmationText(event.request), components: [confirmationButtons(event.request.id)] });
      case 'confirmation-ended':
        return this.settleQuestion(event.request.id, settledConfirmationText(event.request, event.outcome));
      case 'form-asked': {
        const [content = ''] = splitStreamed(elicitationText(event.request), MESSAGE_LIMIT);
        return this.ask(event.request.id, { content, components: [elicitationButtons(event.request)] });
      }
      case 'form-ended':
        return this.settleQuestion(event.request.id, settledElicitationText(event.request, event.outcome));
      case 'notice':
        await this.standAlone('notice', { content: event.text });
        return;
      case 'connect-links':
        return this.tellPrivately(event.links);
      case 'answer': {
        // The final text is what people keep: shown as it is, less what messages above it already show.
        const above = this.streamed.slice(0, this.segmentStart);
        return this.finish(event.text.startsWith(above) ? event.text.slice(above.length) : event.text, event.images);
      }
      case 'error': {
        const shown = this.segmentText().trim();
        return this.finish(shown ? `${shown}\n\n⚠️ ${event.message}` : event.message, []);
      }
      case 'withdrawn':
        return this.withdraw();
    }
  }

  /** Another process answers this turn: every message it recorded goes. */
  private async withdraw(): Promise<void> {
    await this.rendering;
    this.dispose();
    for (const id of this.recorded) {
      await this.options.surface.delete(id).catch((error: unknown) => this.options.log.warn({ err: error, hint: hintFor(error), messageId: id }, 'a message of a withdrawn turn could not be removed'));
    }
  }

  /** Always called when the turn ends, however it ended. */
  dispose(): void {
    clearInterval(this.typingTimer);
    if (this.heldNotes.length > 0) this.options.log.error('connect links were never shown: nothing of the answer could be posted before them');
    for (const message of this.messages) message.edits.dispose();
  }

  /** The text of the messages being written: the final one once there is one, else the deltas since the last question or notice. */
  private segmentText(): string {
    return this.finalSegment ?? this.streamed.slice(this.segmentStart);
  }

  /** What each message of the segment should show now: the text's pieces, the newest under the step list while the turn runs. */
  private contents(): string[] {
    const pieces = this.withinPostLimit(splitStreamed(this.segmentText(), MESSAGE_LIMIT));
    if (this.finalSegment !== undefined || this.steps.size === 0) return pieces;
    const list = stepList([...this.steps.values()]);
    const newest = pieces.pop();
    if (newest === undefined) return [list];
    // Near the limit the text wins: the list is left out rather than pushing text into another message.
    const withList = `${list}\n${newest}`;
    return [...pieces, withList.length <= MESSAGE_LIMIT ? withList : newest];
  }

  /**
   * Where the surface allows only so many messages (an interaction of a user-installed app), the
   * pieces past the last one allowed are left out and that one says so, instead of failing unseen.
   */
  private withinPostLimit(pieces: string[]): string[] {
    const { maxPosts } = this.options.surface;
    if (maxPosts === undefined) return pieces;
    const allowed = Math.max(1, maxPosts - (this.posts - this.messages.length));
    if (pieces.length <= allowed) return pieces;
    const [last = ''] = splitStreamed(pieces[allowed - 1]!, MESSAGE_LIMIT - CUT_SHORT_TEXT.length);
    return [...pieces.slice(0, allowed - 1), `${last}${CUT_SHORT_TEXT}`];
  }

  /** Text arrives many times a second: the engine is not held up, the latest state is rendered next. */
  private scheduleRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    this.rendering = this.rendering
      .then(() => {
        this.renderQueued = false;
        return this.render();
      })
      .catch((error: unknown) => {
        this.renderFailure = error;
      });
  }

  /** Posts the pieces that have no message yet (at once) and asks for edits of the others (paced). */
  private async render(): Promise<void> {
    const contents = this.contents();
    for (const [index, content] of contents.entries()) {
      const message = this.messages[index];
      if (message) {
        message.edits.request(content);
        continue;
      }
      const last = this.finalSegment !== undefined;
      if (this.postRefused && !last) return;
      const id = await this.post({ content }).catch((error: unknown) => {
        this.postRefused = true;
        if (last) throw error;
        this.options.log.warn({ err: error, hint: hintFor(error) }, 'answer message could not be posted; trying again at the end');
      });
      if (!id) return;
      this.postRefused = false;
      this.messages.push(this.tracked(id, content));
    }
    // A final text shorter than what streamed leaves messages over.
    for (const surplus of this.messages.splice(contents.length)) {
      surplus.edits.dispose();
      await this.options.surface.delete(surplus.id).catch((error: unknown) => this.options.log.warn({ err: error, hint: hintFor(error) }, 'a surplus answer message could not be deleted'));
    }
  }

  /** A message just posted with `content`, edited from now on at the pace Discord allows. */
  private tracked(id: string, content: string): AnswerMessage {
    const surface = this.options.surface;
    const message = { id } as AnswerMessage;
    message.edits = new PacedEdits(content, (text) => this.edit(message, text), () => this.options.pacing.editableAt(surface.editPath(message.id)), EDIT_INTERVAL_MS);
    return message;
  }

  /** Paced edits log their failures and go on; a message someone deleted is posted anew, so the answer still gets through. */
  private async edit(message: AnswerMessage, content: string): Promise<void> {
    try {
      await this.options.surface.edit(message.id, { content });
    } catch (error) {
      this.options.log.warn({ err: error, hint: hintFor(error) }, 'answer message could not be edited');
      if (!(error instanceof DiscordAPIError && error.code === UNKNOWN_MESSAGE)) return;
      message.id = await this.post({ content }).catch((postError: unknown) => {
        this.options.log.warn({ err: postError, hint: hintFor(postError) }, 'answer message could not be posted anew');
        return message.id;
      });
    }
  }

  /** Waits until every message shows what it should; the last edits keep the one-a-second pace too. */
  private async flush(): Promise<void> {
    this.scheduleRender();
    await this.rendering;
    const failure = this.renderFailure;
    this.renderFailure = undefined;
    if (failure) throw failure;
    await Promise.all(this.messages.map((message) => message.edits.settled()));
  }

  private async finish(text: string, images: ImageAttachment[]): Promise<void> {
    clearInterval(this.typingTimer);
    this.finalSegment = text.trim() || images.length > 0 ? text : NO_ANSWER_TEXT;
    try {
      await this.flush();
      await this.attach(images);
    } catch (error) {
      // There is nowhere left to tell the person: logged with what an operator can do about it.
      this.options.log.error({ err: error, hint: hintFor(error) }, 'the answer could not be posted to Discord');
    }
  }

  /**
   * Ends the messages being written (they keep their text, the step list goes) so that what follows
   * is posted below `message`. A segment that shows only the step list becomes `message` instead.
   */
  private async standAlone(what: string, message: MessageContent): Promise<string | undefined> {
    // Renders still queued belong to the segment that ends here.
    await this.rendering;
    const segment = this.messages;
    const text = this.segmentText();
    this.messages = [];
    this.segmentStart = this.streamed.length;
    try {
      if (segment.length === 1 && !text.trim()) {
        await segment[0]!.edits.settled();
        segment[0]!.edits.dispose();
        await this.options.surface.edit(segment[0]!.id, message);
        return segment[0]!.id;
      }
      // Their text stays as it is; only the step list leaves them.
      for (const [index, content] of splitStreamed(text, MESSAGE_LIMIT).entries()) segment[index]?.edits.request(content);
      return await this.post(message);
    } catch (error) {
      this.options.log.error({ err: error, hint: hintFor(error) }, `the ${what} could not be posted to Discord`);
      return undefined;
    }
  }

  /** The bot is not the one busy while a person decides. */
  private async ask(id: string, question: MessageContent): Promise<void> {
    clearInterval(this.typingTimer);
    const messageId = await this.standAlone('question', question);
    if (messageId) this.questions.set(id, messageId);
  }

  private async settleQuestion(id: string, content: string): Promise<void> {
    const messageId = this.questions.get(id);
    this.questions.delete(id);
    if (this.finalSegment === undefined) this.startTyping();
    if (messageId) await this.options.surface.edit(messageId, { content, components: [] });
  }

  /** A step that ran as a task ended: its message keeps the line and loses Cancel. */
  private async endTask(step: number, ok: boolean): Promise<void> {
    const cancelId = this.taskSteps.get(step);
    if (cancelId === undefined) return;
    this.taskSteps.delete(step);
    const state = this.steps.get(step);
    if (state) await this.settleQuestion(cancelId, taskEndedText(state, ok));
  }

  /** Images after the text, within Discord's files per message; a refused upload is said in the thread. */
  private async attach(images: ImageAttachment[]): Promise<void> {
    for (let start = 0; start < images.length; start += FILES_PER_MESSAGE) {
      const batch = images.slice(start, start + FILES_PER_MESSAGE);
      try {
        await this.post({ files: batch.map((image) => ({ name: image.filename, data: image.data })) });
      } catch (error) {
        const names = batch.map((image) => image.filename);
        this.options.log.warn({ err: error, hint: hintFor(error), files: names }, 'images could not be attached');
        await this.post({ content: `(I could not attach ${names.map((name) => `\`${name}\``).join(', ')}.)` });
      }
    }
  }

  private async post(message: MessageContent): Promise<string> {
    const { surface, recordPosted } = this.options;
    // Files cannot be added by this edit: a message with files is recorded once it is up.
    const placeholder = recordPosted !== undefined && !message.files?.length;
    const id = await surface.post(placeholder ? { content: UNRECORDED_TEXT } : message);
    this.posts += 1;
    this.options.onPosted?.(id);
    if (recordPosted) {
      this.recorded.push(id);
      await recordPosted(id);
    }
    if (placeholder) {
      await surface.edit(id, message).catch(async (error: unknown) => {
        await surface.delete(id).catch(() => undefined);
        throw error;
      });
    }
    if (this.heldNotes.length > 0) await this.postHeldNotes();
    return id;
  }

  /**
   * Connect links are for the asker's eyes only, never the conversation: an ephemeral follow-up where
   * the surface has them (an interaction), else a DM. A follow-up waits for the turn's first message,
   * or it would take the deferred reply's place, where everyone sees it. Where the DM is refused, the
   * conversation is told to run /connect instead, without the links.
   */
  private async tellPrivately(links: ConnectLinks): Promise<void> {
    const content = connectLinksText(links);
    const servers = links.map((link) => link.server);
    if (this.options.surface.postPrivately) {
      this.heldNotes.push({ content });
      if (this.posts > 0) await this.postHeldNotes();
      return;
    }
    try {
      await this.options.directMessage(content);
    } catch (error) {
      this.options.log.warn({ err: error, hint: hintFor(error), servers }, 'connect links could not be sent by DM; the conversation is told to run /connect');
      await this.standAlone('notice', { content: connectByCommandText(links) });
    }
  }

  private async postHeldNotes(): Promise<void> {
    for (const note of this.heldNotes.splice(0)) {
      try {
        await this.options.surface.postPrivately?.(note);
        this.posts += 1;
      } catch (error) {
        this.options.log.error({ err: error, hint: hintFor(error) }, 'connect links could not be posted privately');
      }
    }
  }

  private startTyping(): void {
    clearInterval(this.typingTimer);
    const type = () => void this.options.surface.typing().catch((error: unknown) => this.options.log.debug({ err: error }, 'typing indicator failed'));
    type();
    this.typingTimer = setInterval(type, TYPING_INTERVAL_MS);
  }
}
