import type { webApi } from '@slack/bolt';
import { connectLinksText, settledConfirmationText, settledElicitationText, taskEndedText, type ImageAttachment, type ToolStep, type TurnEvent, type TurnOutput } from '../../engine/index.js';
import type { Logger } from '../../logging/logger.js';
import { questionMessage } from './confirmation-blocks.js';
import { elicitationMessage } from './elicitation-blocks.js';
import { feedbackBlock } from './feedback.js';
import { toMrkdwn } from './mrkdwn.js';
import { PostedReply, type SlackTarget } from './posted-reply.js';
import { failureFields } from './slack-failures.js';
import type { RateTier } from './rate-tier.js';
import { closeRunMessage, SlackStream, withoutCrowdPings, type StreamBreak } from './slack-stream.js';
import { taskCancelMessage } from './task-cancel-blocks.js';
import { taskUpdate } from './task-cards.js';

/** The conversation a turn's output goes to, with what the streamed surfaces of Slack need. */
export interface SlackReplyTarget extends SlackTarget {
  /** The user id of the person whose turn it is: what is for their eyes only (connect links) goes to them alone. */
  asker: string;
  /** Whom a stream outside a DM is for (Slack requires it there). */
  recipient: { userId: string; teamId: string } | undefined;
  /** In an assistant thread, Bolt's `setStatus`: the "is thinking…" line under the thread. */
  setStatus?: (status: string) => Promise<unknown>;
  /** The person's message, which gets 👀 while a streamed answer has nothing to show yet and no status line says so. */
  messageTs?: string;
  /** chat.appendStream's allowance, shared by the workspace's answers. */
  appendTier?: RateTier;
}

/** The reaction that says "seen, working on it" where a channel thread has no status line (reactions:write). */
const WORKING_REACTION = 'eyes';

const THINKING_STATUS = 'is thinking…';
/** What chat.appendStream answers once the person pressed stop on the streamed message. */
const STOPPED_BY_USER = 'stopped_by_user';
/** Slack's limit for one `markdown` block's text. */
const MARKDOWN_BLOCK_LIMIT = 12_000;
/** The notification text beside blocks; what people read is the block. */
const FALLBACK_TEXT_LIMIT = 3_000;

/**
 * One turn's output in one Slack thread. In a thread the answer streams (chat.startStream …): each
 * tool call is a task card, in progress then complete or failed, however fast it ran, with the text
 * streaming below the cards; feedback buttons close it. A question (Approve/Deny, a form) closes the
 * stream and is posted below it, and what follows streams in a new message under the question, so
 * the thread reads in order. Where there is no thread (a top-level DM) or Slack refuses or closes
 * the stream, the rest is posted and edited instead (PostedReply), with nothing lost or shown twice.
 */
export class SlackReply implements TurnOutput {
  private readonly posted: PostedReply;
  private stream: SlackStream | undefined;
  /** False where there is no thread to stream in, and once Slack refused or closed a stream: the rest is posted. */
  private streaming: boolean;
  /** The text handed to the current stream message. */
  private streamText = '';
  /** Every text delta of the turn, lead-ins before tool calls included: what the `answer` event's text goes on from. */
  private segment = '';
  /** Question message ts by question id. */
  private readonly questions = new Map<string, string>();
  /** The cancel id of each step running as a task, by step: its Cancel goes when the step ends. */
  private readonly taskSteps = new Map<number, string>();
  private statusShown = false;
  private reacted = false;
  /** Set when the person stopped the streamed message (Slack's stop button): the turn's output ends there. */
  private stoppedByPerson = false;
  private readonly target: SlackReplyTarget;
  /** Every message recorded for a take-over (see SlackTarget.recordStarted): what a withdrawn turn removes. */
  private readonly recorded = new Set<string>();

  constructor(
    private readonly client: webApi.WebClient,
    target: SlackReplyTarget,
    private readonly log: Logger,
  ) {
    const { recordStarted } = target;
    this.target = recordStarted
      ? {
          ...target,
          recordStarted: (ts) => {
            this.recorded.add(ts);
            return recordStarted(ts);
          },
        }
      : target;
    this.posted = new PostedReply(client, this.target, log);
    this.streaming = target.threadTs !== undefined;
  }

  /**
   * Shows at once that the question arrived: the status in an assistant thread, 👀 on the question in
   * another thread (until the answer is there), a placeholder where nothing streams.
   */
  async begin(): Promise<void> {
    if (!this.streaming) return this.posted.begin();
    if (this.target.setStatus) return this.status(THINKING_STATUS);
    await this.react('add');
  }

  async emit(event: TurnEvent): Promise<void> {
    if (this.stoppedByPerson && event.type !== 'withdrawn') return event.type === 'answer' || event.type === 'error' ? this.done() : undefined;
    switch (event.type) {
      case 'text':
        this.segment += event.delta;
        return this.text(event.delta);
      case 'tool-started':
        void this.status(`is using \`${event.tool}\`…`);
        return this.task(event);
      case 'tool-planned':
      case 'tool-progress':
        return this.task(event);
      case 'tool-finished':
        this.task(event);
        return this.endTask(event);
      case 'task-started':
        this.taskSteps.set(event.step, event.cancelId);
        return this.ask(event.cancelId, taskCancelMessage(event, event.cancelId));
      case 'confirmation-asked':
        return this.ask(event.request.id, questionMessage(event.request));
      case 'form-asked':
        return this.ask(event.request.id, elicitationMessage(event.request));
      case 'confirmation-ended':
        return this.settleQuestion(event.request.id, settledConfirmationText(event.request, event.outcome));
      case 'form-ended':
        return this.settleQuestion(event.request.id, settledElicitationText(event.request, event.outcome));
      case 'notice':
        return this.posted.say(event.text);
      case 'connect-links':
        return this.connectLinks(event.links);
      case 'answer':
        await this.answer(event.text, event.images);
        return this.done();
      case 'error':
        await this.fail(event.message);
        return this.done();
      case 'withdrawn':
        await this.withdraw();
        return this.done();
    }
  }

  /** Another process answers this turn: every message it recorded goes, streams stopped first. */
  private async withdraw(): Promise<void> {
    this.dispose();
    for (const ts of this.recorded) await closeRunMessage(this.client, this.target.channel, ts, true, this.log);
  }

  /** A short message of the bot's own (not the model's answer). */
  say(text: string): Promise<void> {
    return this.posted.say(text);
  }

  /** Only `user` sees it; for refusals, which should not fill a channel. */
  whisper(user: string, text: string): Promise<void> {
    return this.posted.whisper(user, text);
  }

  /**
   * Links that connect the asker's own accounts: an ephemeral message in the conversation that only
   * they see, never part of the answer. Not shown is worth a warning; the answer goes on regardless.
   */
  private async connectLinks(links: Extract<TurnEvent, { type: 'connect-links' }>['links']): Promise<void> {
    const { channel, threadTs, asker } = this.target;
    await this.client.chat
      .postEphemeral({ channel, thread_ts: threadTs, user: asker, text: toMrkdwn(connectLinksText(links)) })
      .catch((error: unknown) => this.log.warn({ ...failureFields(error), servers: links.map((link) => link.server) }, 'connect links could not be shown to the person'));
  }

  /** Always called when the turn ends, however it ended. */
  dispose(): void {
    this.stream?.dispose();
    this.posted.dispose();
  }

  private text(delta: string): void {
    if (!this.streaming) return this.posted.appendText(delta);
    this.streamText += delta;
    this.openStream().appendText(delta);
  }

  private task(event: Extract<TurnEvent, { type: 'tool-planned' | 'tool-started' | 'tool-progress' | 'tool-finished' }>): void {
    if (this.streaming) this.openStream().appendTask(taskUpdate(event));
    else if (event.type === 'tool-started' || event.type === 'tool-progress') this.posted.progress(event);
  }

  private openStream(): SlackStream {
    if (this.stream?.open) return this.stream;
    this.streamText = '';
    const target = { ...this.target, threadTs: this.target.threadTs! };
    this.stream = new SlackStream(this.client, target, this.log, (broke) => this.streamBroke(broke));
    return this.stream;
  }

  /** What the stream never showed is posted instead, and so is everything after it in this turn. */
  private streamBroke(broke: StreamBreak): void {
    this.streaming = false;
    if (broke.code === STOPPED_BY_USER) {
      // The person pressed stop on the streamed message: nothing more of this answer is posted.
      this.log.info('the person stopped the streamed answer; the rest of it is not posted');
      this.stoppedByPerson = true;
      return;
    }
    this.log.info({ code: broke.code }, 'the answer goes on in posted messages');
    this.posted.appendText(broke.undelivered);
  }

  /**
   * The answer's text is authoritative. Where it goes on from what streamed (the usual case), the
   * rest is streamed and the stream stopped with the feedback buttons; where the deltas said
   * something else (a control token, reasoning only its end gave away), the message is rewritten.
   */
  private async answer(text: string, images: ImageAttachment[]): Promise<void> {
    const feedback = [feedbackBlock()];
    const continues = text.startsWith(this.segment);
    const rest = continues ? text.slice(this.segment.length) : '';
    if (this.streaming && (this.stream?.open || rest.trim())) {
      const stream = this.openStream();
      const shown = this.streamText;
      stream.appendText(rest);
      await stream.stop(feedback);
      if (this.streaming) {
        if (!continues) await this.rewrite(stream, withAnswer(shown, this.segment, text));
        return this.posted.attach(images);
      }
      // Slack closed the stream while it stopped: the posted part holds the rest of the answer, if any.
      if (this.posted.liveText) return this.posted.final(this.posted.liveText, images, feedback);
      return this.posted.attach(images);
    }
    await this.posted.final(withAnswer(this.posted.liveText, this.segment, text), images, feedback);
  }

  /**
   * The streamed message, rewritten with the answer as a `markdown` block (chat.update takes
   * `markdown_text` only without `blocks`, and the feedback buttons are blocks), crowd pings defused
   * as in the stream, within the block's 12,000 characters; `text` is the notification fallback.
   */
  private async rewrite(stream: SlackStream, markdown: string): Promise<void> {
    if (!stream.messageTs) return;
    this.log.info('the answer differs from what streamed; the message is rewritten with it');
    const text = withoutCrowdPings(markdown.length <= MARKDOWN_BLOCK_LIMIT ? markdown : `${markdown.slice(0, MARKDOWN_BLOCK_LIMIT - 1)}…`);
    await this.client.chat
      .update({ channel: this.target.channel, ts: stream.messageTs, text: text.slice(0, FALLBACK_TEXT_LIMIT), blocks: [{ type: 'markdown', text }, feedbackBlock()] })
      .catch((error: unknown) => this.log.warn(failureFields(error), 'streamed message could not be rewritten with the answer'));
  }

  /** Text shown so far stays; the error line goes below it. */
  private async fail(message: string): Promise<void> {
    const stream = this.streaming ? this.stream : undefined;
    if (stream?.open && stream.hasContent) {
      stream.appendText(`\n\n_${message}_`);
      await stream.stop();
      if (this.streaming) return;
      // Slack closed the stream while it stopped: the posted part holds the rest, error line included.
      return this.posted.final(this.posted.liveText, []);
    }
    await stream?.stop();
    await this.posted.fail(message);
  }

  private async ask(id: string, question: Parameters<PostedReply['ask']>[0]): Promise<void> {
    await this.stream?.stop();
    const ts = await this.posted.ask(question);
    if (ts) this.questions.set(id, ts);
  }

  private async settleQuestion(id: string, markdown: string): Promise<void> {
    const ts = this.questions.get(id);
    this.questions.delete(id);
    if (ts) await this.posted.settleQuestion(ts, markdown);
  }

  /** A step that ran as a task ended: its message keeps the line and loses Cancel. */
  private async endTask(event: ToolStep & { ok: boolean }): Promise<void> {
    const cancelId = this.taskSteps.get(event.step);
    if (cancelId === undefined) return;
    this.taskSteps.delete(event.step);
    await this.settleQuestion(cancelId, taskEndedText(event, event.ok));
  }

  /** The working signs go once the turn has its last word. */
  private async done(): Promise<void> {
    await this.status('');
    if (this.reacted) await this.react('remove');
  }

  /** 👀 on the question; a workspace that refuses it (no reactions:write) is worth a debug line, no more. */
  private async react(change: 'add' | 'remove'): Promise<void> {
    const { messageTs, channel } = this.target;
    if (!messageTs) return;
    this.reacted = change === 'add';
    const call = change === 'add' ? this.client.reactions.add : this.client.reactions.remove;
    await call.call(this.client.reactions, { channel, timestamp: messageTs, name: WORKING_REACTION }).catch((error: unknown) => this.log.debug(failureFields(error), `reaction not ${change === 'add' ? 'added' : 'removed'}`));
  }

  /** Assistant threads only; an empty status clears it. A refusal is worth no more than a debug line. */
  private async status(status: string): Promise<void> {
    if (!this.target.setStatus || (!status && !this.statusShown)) return;
    this.statusShown = status !== '';
    await this.target.setStatus(status).catch((error: unknown) => this.log.debug(failureFields(error), 'assistant status not set'));
  }
}

/**
 * The text a message should end with: `shown` with the answer in place of the deltas of its last
 * segment. The answer usually goes on from them; where it does not and they are not all in `shown`,
 * the answer alone is the safer thing to show.
 */
function withAnswer(shown: string, segment: string, answer: string): string {
  if (answer.startsWith(segment)) return shown + answer.slice(segment.length);
  return shown.endsWith(segment) ? shown.slice(0, shown.length - segment.length) + answer : answer;
}
