import type { IncomingMessage } from './types.js';

const NAME_LENGTH = 64;

/** A name that cannot close the tag early or spill onto another line. */
function tagName(name: string | undefined): string | undefined {
  const clean = name?.replace(/[[\]\s]+/g, ' ').trim().slice(0, NAME_LENGTH).trim();
  return clean || undefined;
}

/**
 * What the model reads for a person's message: in a shared thread several people talk to it, so each
 * of their messages starts with its author's name, `[Ada] …`; a direct conversation has one person.
 */
export function userContent(message: IncomingMessage): string {
  const name = message.asker.direct ? undefined : tagName(message.authorName);
  return name ? `[${name}] ${message.text}` : message.text;
}
