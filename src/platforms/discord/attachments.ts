import type { Message } from 'discord.js';
import type { IncomingFile } from '../../engine/index.js';
import { downloadBounded } from '../shared/download.js';
import type { DiscordAttachment } from './turn-job.js';

/** A message's attachments as Discord reported them: name, type, size and the CDN URL, for a turn job. */
export function attachmentsOf(message: Message): DiscordAttachment[] {
  return message.attachments.map((attachment) => ({ name: attachment.name, url: attachment.url, size: attachment.size, contentType: attachment.contentType ?? '' }));
}

/**
 * Attachments as the engine takes files, the bytes fetched from the attachment's CDN URL on demand.
 * The URL is signed and public for about a day (Discord's `ex`/`hm` parameters), so no token is sent
 * and any process can fetch it; a refused, slow or oversized download rejects.
 */
export function incomingFiles(attachments: DiscordAttachment[]): IncomingFile[] {
  return attachments.map((attachment) => ({
    name: attachment.name,
    mimeType: attachment.contentType,
    size: attachment.size,
    async download() {
      return (await downloadBounded(attachment.url, { what: `the attachment ${attachment.name} from Discord` })).bytes;
    },
  }));
}
