import { reasoningEndsFirst, showablePrefix, type ToolIndex } from './model-replies/index.js';

/**
 * What a person may see of one model reply while it arrives: each content delta is read with
 * everything before it, and what `showablePrefix` allows beyond what was already shown is passed to
 * `show`. When a reply turns out not to be what was shown (a reasoning block's end reveals that the
 * text before it was reasoning), nothing more is shown and the reply's final reading corrects it.
 */
export class AnswerStream {
  private raw = '';
  private shown = '';
  private diverged = false;

  constructor(
    private readonly tools: ToolIndex,
    /**
     * This model's replies begin inside a reasoning block its template opened: show nothing before
     * the block's end. Undefined while that is not known yet: show nothing of this reply.
     */
    private readonly thinksFirst: boolean | undefined,
    private readonly show: (delta: string) => void,
  ) {}

  /** Takes the next content delta, in order. */
  readonly push = (delta: string): void => {
    this.raw += delta;
    if (this.diverged || this.thinksFirst === undefined || (this.thinksFirst && !reasoningEndsFirst(this.raw))) return;
    // Trailing blank space waits for what follows it: text before a tool call ends tidily.
    const showable = showablePrefix(this.raw, this.tools, this.shown.length).trimEnd();
    if (!showable.startsWith(this.shown)) {
      this.diverged = true;
      return;
    }
    if (showable.length === this.shown.length) return;
    const more = showable.slice(this.shown.length);
    this.shown = showable;
    this.show(more);
  };

  /** What has been shown of this reply. */
  get shownText(): string {
    return this.shown;
  }
}
