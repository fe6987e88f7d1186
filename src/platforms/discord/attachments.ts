import type { Message } from 'discord.js';
import type { IncomingFile } from '../../engine/index.js';

/**
 * A message's attachments as the engine takes files: name, type and size as Discord reports them, and
 * the bytes from the attachment's CDN URL on demand. The URL is signed and public for about a day
 * (Discord's `ex`/`hm` parameters), so no token is sent; a refused download rejects with its status.
 */
export function incomingFiles(message: Message): IncomingFile[] {
  return message.attachments.map((attachment) => ({
    name: attachment.name,
    mimeType: attachment.contentType ?? '',
    size: attachment.size,
    async download() {
      const response = await fetch(attachment.url);
      if (!response.ok) throw new Error(`Discord refused the attachment ${attachment.name}: HTTP ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
  }));
}
