import path from 'node:path';
import type { IncomingFile } from './types.js';

/**
 * Image types vision models take as `image_url` parts (OpenAI: PNG, JPEG, WEBP and non-animated GIF,
 * up to 20 MB each).
 */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);
const IMAGE_MAX_BYTES = 20 * 1024 * 1024;

/** Media types that are text whatever their top-level type says. */
const TEXT_TYPES = /^(?:text\/|application\/(?:json|x-ndjson|xml|yaml|x-yaml|toml|javascript|typescript|x-sh|x-python|sql|csv|graphql)\b|[^;]*\+(?:json|xml)\b)/;

/** Extensions of text files, for platforms that report no type or `application/octet-stream`. */
const TEXT_EXTENSIONS = new Set(
  'txt md markdown rst csv tsv json jsonl ndjson yaml yml toml ini cfg conf env xml html htm css scss log sql graphql py js mjs cjs ts tsx jsx java kt go rs rb php c h cc cpp hpp cs swift sh bash zsh ps1 r lua pl dockerfile makefile gitignore diff patch tex'.split(' '),
);

const EXTENSION_IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };

function extensionOf(name: string): string {
  const base = path.basename(name).toLowerCase();
  const extension = path.extname(base).slice(1);
  return extension || base;
}

/** The file's media type: as the platform reported it, else guessed from its name. */
function mediaType(file: IncomingFile): string {
  const reported = file.mimeType.split(';')[0]!.trim().toLowerCase();
  if (reported !== '' && reported !== 'application/octet-stream') return reported;
  const extension = extensionOf(file.name);
  return EXTENSION_IMAGE_TYPES[extension] ?? (TEXT_EXTENSIONS.has(extension) ? 'text/plain' : reported || 'unknown');
}

function isText(file: IncomingFile, type: string): boolean {
  return TEXT_TYPES.test(type) || TEXT_EXTENSIONS.has(extensionOf(file.name));
}

/** Bytes as a person reads them: `12 KB`, `3.4 MB`. */
function size(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** UTF-8 text, or undefined for bytes that are not (a binary file under a text name). */
function decodeText(data: Buffer): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    return text.includes('\u0000') ? undefined : text;
  } catch {
    return undefined;
  }
}

/** An image attached to a message, ready to go to a vision model as an `image_url` part. */
export interface AttachedImage {
  name: string;
  /** `data:<type>;base64,…`, as `image_url` takes it. */
  url: string;
}

/** What the model gets of a message's files, and what the person is told about the rest. */
export interface ReadAttachments {
  /** Each text file as a named block, ready to follow the message's text; '' when none. */
  text: string;
  images: AttachedImage[];
  /** One short sentence per file that was not read, saying why. */
  notices: string[];
}

/** How much of a message's files the model may be given. */
export interface AttachmentLimits {
  /** Characters the text files may add (MAX_INPUT_CHARS less the message's own text). */
  maxChars: number;
  /** Whether the model takes images (LLM_VISION). */
  vision: boolean;
}

/** A text file as the model reads it: its name, then its text in a fence that its own backticks cannot close. */
function textBlock(name: string, text: string): string {
  const longestRun = Math.max(2, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const fence = '`'.repeat(longestRun + 1);
  return `[File ${name}]\n${fence}\n${text}\n${fence}`;
}

/**
 * Reads the files a person attached, in order: text files as text (all of them within
 * `maxChars`), images as image parts when the model takes them. A file's size is checked before it
 * is downloaded; a file too big, of a type the bot cannot read, or that fails to download is left
 * out with a notice naming it. Never rejects.
 */
export async function readAttachments(files: readonly IncomingFile[], limits: AttachmentLimits): Promise<ReadAttachments> {
  const blocks: string[] = [];
  const images: AttachedImage[] = [];
  const notices: string[] = [];
  let room = limits.maxChars;
  for (const file of files) {
    const type = mediaType(file);
    const name = `\`${file.name}\``;
    if (IMAGE_TYPES.has(type)) {
      if (!limits.vision) {
        notices.push(`I can't look at images with this model, so I did not read ${name}.`);
        continue;
      }
      if (file.size > IMAGE_MAX_BYTES) {
        notices.push(`${name} is too big for me to look at (${size(file.size)}; images up to ${size(IMAGE_MAX_BYTES)}).`);
        continue;
      }
    } else if (!isText(file, type)) {
      notices.push(`I can't read ${name} (${type}): I read text files${limits.vision ? ' and images' : ''}.`);
      continue;
    } else if (file.size > room) {
      // UTF-8 takes at least a byte a character: more bytes than room cannot fit.
      notices.push(`${name} is too long for me to read (${size(file.size)}; with your message I read up to ${limits.maxChars} characters).`);
      continue;
    }
    let data: Buffer;
    try {
      data = await file.download();
    } catch {
      notices.push(`I could not download ${name}; try attaching it again.`);
      continue;
    }
    if (IMAGE_TYPES.has(type)) {
      images.push({ name: file.name, url: `data:${type};base64,${data.toString('base64')}` });
      continue;
    }
    const text = decodeText(data);
    if (text === undefined) {
      notices.push(`I can't read ${name}: it is not text.`);
      continue;
    }
    if (text.length > room) {
      notices.push(`${name} is too long for me to read (${text.length} characters; with your message I read up to ${limits.maxChars}).`);
      continue;
    }
    room -= text.length;
    blocks.push(textBlock(file.name, text));
  }
  return { text: blocks.join('\n\n'), images, notices };
}
