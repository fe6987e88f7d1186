import slackifyMarkdown from 'slackify-markdown';
import { splitMessage } from '../shared/split-message.js';

/**
 * Slack reads `<…>` as a control sequence. Links, user and channel mentions the converter (or the
 * model) wrote stay; everything else is escaped, so model output shows raw HTML as text and can never
 * ping a crowd with `<!channel>`, `<!here>`, `<!everyone>` or `<!subteam^…>`. Slack decodes `&lt;`
 * everywhere, code blocks included, so the text still reads as written.
 */
const NOT_A_KEPT_SEQUENCE = /<(?!(?:https?:\/\/|mailto:|@[UW][A-Z0-9]+|#[CG][A-Z0-9]+)[^<>\s]*(?:\|[^<>]*)?>)/g;

/** Plain text (a tool's description, a server's name) that Slack shows as written. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Markdown from the model as Slack mrkdwn: bold, italics, links, lists and code blocks in Slack's syntax. */
export function toMrkdwn(markdown: string): string {
  return slackifyMarkdown(markdown).replace(NOT_A_KEPT_SEQUENCE, '&lt;').trimEnd();
}

/**
 * An answer as mrkdwn messages of at most `limit` characters. The Markdown is split first (code
 * blocks closed and reopened at the cuts) with room to spare, since conversion can lengthen text
 * (`&` → `&amp;`, a bare URL becomes `<url|url>`); a piece that still grew past `limit` is split again.
 */
export function toMrkdwnPieces(markdown: string, limit: number): string[] {
  const markdownLimit = Math.floor(limit * 0.85);
  return splitMessage(markdown, markdownLimit)
    .map(toMrkdwn)
    .flatMap((piece) => (piece.length > limit ? splitMessage(piece, limit) : [piece]))
    .filter((piece) => piece.trim() !== '');
}
