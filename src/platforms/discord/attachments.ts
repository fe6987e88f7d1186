import type { Message } from 'discord.js';
import type { IncomingFile } from '../../engine/index.js';
import { downloadBounded } from '../shared/download.js';

/**
 * A message's attachments as the engine takes files: name, type and size as Discord reports them, and
 * the bytes from the attachment's CDN URL on demand. The URL is signed and public for about a day
 * (Discord's `ex`/`hm` parameters), so no token is sent; a refused, slow or oversized download rejects.
 */
export function incomingFiles(message: Message): IncomingFile[] {
  return message.attachments.map((attachment) => ({
    name: attachment.name,
    mimeType: attachment.contentType ?? '',
    size: attachment.size,
    async download() {
      return (await downloadBounded(attachment.url, { what: `the attachment ${attachment.name} from Discord` })).bytes;
    },
  }));
}
