import type { ChatCompletionContentPart } from 'openai/resources/chat/completions';
import type { ReadAttachments } from './attachments.js';
import type { IncomingMessage } from './types.js';

const NAME_LENGTH = 64;

/** A name that cannot close the tag early or spill onto another line. */
function tagName(name: string | undefined): string | undefined {
  const clean = name?.replace(/[[\]\s]+/g, ' ').trim().slice(0, NAME_LENGTH).trim();
  return clean || undefined;
}

/**
 * The text the model reads for a person's message: in a shared thread several people talk to it, so
 * each of their messages starts with its author's name, `[Ada] …`; a direct conversation has one
 * person. The text files they attached follow it.
 */
function messageText(message: IncomingMessage, attached: ReadAttachments | undefined): string {
  const name = message.asker.direct ? undefined : tagName(message.authorName);
  const text = [message.text, attached?.text ?? ''].filter((part) => part !== '').join('\n\n');
  return name ? `[${name}] ${text}` : text;
}

/** What the model reads for a person's message this turn: its text, and the images attached as image parts. */
export function userContent(message: IncomingMessage, attached?: ReadAttachments): string | ChatCompletionContentPart[] {
  const text = messageText(message, attached);
  if (!attached || attached.images.length === 0) return text;
  return [{ type: 'text', text }, ...attached.images.map((image) => ({ type: 'image_url' as const, image_url: { url: image.url } }))];
}

/**
 * The message as the history keeps it: images named, not stored, so later turns do not send them
 * again with every request (the model has described what it needed in its answer).
 */
export function storedUserContent(message: IncomingMessage, attached?: ReadAttachments): string {
  const names = attached?.images.map((image) => `[image ${image.name}]`) ?? [];
  return [messageText(message, attached), ...names].join('\n');
}
