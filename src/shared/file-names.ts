/** Extensions whose media subtype says otherwise (`image/jpeg` → `jpg`); the others are the subtype itself. */
const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/svg+xml': 'svg', 'audio/mpeg': 'mp3', 'text/plain': 'txt', 'text/markdown': 'md', 'application/octet-stream': 'bin' };

/** A file extension for a media type, without the dot: `application/pdf` → `pdf`; `bin` when it says nothing usable. */
export function extensionFor(mimeType: string): string {
  const type = mimeType.split(';')[0]!.trim().toLowerCase();
  return EXTENSIONS[type] ?? (type.split('/')[1]?.replace(/[^a-z0-9]/g, '') || 'bin');
}

/**
 * The name a resource is attached under: the last segment of its URI (characters a file name cannot
 * hold replaced by `_`), given an extension from its media type when it has none; undefined when the
 * URI ends in no name (`db://reports/`).
 */
export function fileNameFromUri(uri: string, mimeType: string): string | undefined {
  const last = uri.split(/[?#]/)[0]!.split('/').pop() ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    decoded = last;
  }
  const name = decoded.replace(/[^\w.-]+/g, '_');
  if (name.replace(/[._]/g, '') === '') return undefined;
  return name.includes('.') ? name : `${name}.${extensionFor(mimeType)}`;
}
