/** No file a person attaches is read past this: the engine's own limits are smaller (20 MB for an image). */
const MAX_BYTES = 25 * 1024 * 1024;
/** A download that takes longer holds up its thread; the person is told the file could not be fetched. */
const TIMEOUT_MS = 30_000;

/**
 * A file's bytes from `url`, within 30 s and 25 MB whatever the platform reported about its size.
 * @throws Error saying what went wrong (HTTP status, too big, timed out), for the log; the person gets the engine's notice
 */
export async function downloadBounded(url: string, { what, ...init }: RequestInit & { what: string }): Promise<{ bytes: Buffer; contentType: string }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_BYTES) throw new Error(`${what}: ${declared} bytes, more than ${MAX_BYTES}`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += chunk.length;
    if (total > MAX_BYTES) throw new Error(`${what}: more than ${MAX_BYTES} bytes`);
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks), contentType: response.headers.get('content-type') ?? '' };
}
