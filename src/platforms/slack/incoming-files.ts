import type { IncomingFile } from '../../engine/index.js';
import { downloadBounded } from '../shared/download.js';

/** The fields of a file in a `file_share` message event that the bot reads. */
export interface SlackFile {
  id: string;
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  url_private_download?: string;
  url_private?: string;
}

/**
 * Files a person shared, as the engine takes them. Slack serves `url_private_download` only to a
 * request bearing a token with `files:read`; without it Slack answers 200 with its sign-in page,
 * which is caught here rather than read as the file. The token is sent to Slack's own file hosts
 * (and the host of SLACK_API_URL) only, never to a URL anyone else could have put in an event.
 */
export function incomingFiles(files: SlackFile[] | undefined, botToken: string, apiUrl: string | undefined): IncomingFile[] {
  return (files ?? []).map((file) => {
    const name = file.name ?? file.title ?? file.id;
    const mimeType = file.mimetype ?? '';
    return {
      name,
      mimeType,
      size: file.size ?? 0,
      async download() {
        const url = file.url_private_download ?? file.url_private;
        if (!url || !trustedFileHost(url, apiUrl)) throw new Error(`Slack gave no download address for ${name} that the bot may send its token to`);
        const { bytes, contentType } = await downloadBounded(url, { headers: { authorization: `Bearer ${botToken}` }, what: `${name} from Slack` });
        if (contentType.startsWith('text/html') && !mimeType.startsWith('text/html')) throw new Error(`Slack sent a sign-in page instead of ${name}: the app needs the files:read scope`);
        return bytes;
      },
    };
  });
}

/** Slack's hosts (slack.com, and slack-gov.com for GovSlack) over HTTPS, or the host SLACK_API_URL names. */
function trustedFileHost(url: string, apiUrl: string | undefined): boolean {
  const { protocol, host, hostname } = new URL(url);
  if (apiUrl && host === new URL(apiUrl).host) return true;
  return protocol === 'https:' && /(^|\.)slack(-gov)?\.com$/.test(hostname);
}
