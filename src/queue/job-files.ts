import type { IncomingFile } from '../engine/types.js';

/** A file as a turn job carries it: its bytes in base64, read by the process that received it. */
export interface JobFile {
  name: string;
  mimeType: string;
  size: number;
  base64: string;
}

/**
 * Reads files whose bytes only the receiving process can fetch (a prompt's embedded resources, read
 * from its MCP server) into a job; files a platform serves by URL are better carried as their URL.
 * @throws what a file's download throws
 */
export async function filesForJob(files: IncomingFile[]): Promise<JobFile[]> {
  return Promise.all(files.map(async (file) => ({ name: file.name, mimeType: file.mimeType, size: file.size, base64: (await file.download()).toString('base64') })));
}

/** The files of a job, as the engine reads them, on whichever process runs it. */
export function filesFromJob(files: JobFile[]): IncomingFile[] {
  return files.map(({ base64, ...file }) => ({ ...file, download: async () => Buffer.from(base64, 'base64') }));
}
