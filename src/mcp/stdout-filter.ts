import { STDIO_DEFAULT_MAX_BUFFER_SIZE, type JSONRPCMessage } from '@modelcontextprotocol/client';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/core';

/** How much of a non-protocol line is quoted in logs and failure reasons. */
const MAX_QUOTED = 200;

/** The members of a JSON-RPC 2.0 message; the SDK's schemas are strict and refuse any other. */
const ENVELOPE = new Set(['jsonrpc', 'id', 'method', 'params', 'result', 'error']);

// Terminal control sequences (CSI: colours, cursor moves; OSC: titles, links), then other control characters.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f\uFEFF]+/g;

/** A line as a person would read it on a terminal, for logs: no escape codes, whitespace collapsed, truncated. */
function readable(text: string): string {
  const plain = text.replace(ESCAPES, '').replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim();
  return plain.length > MAX_QUOTED ? `${plain.slice(0, MAX_QUOTED)}…` : plain;
}

/**
 * The JSON-RPC message in `value`, if it is one: as the SDK's JSONRPCMessageSchema reads it, or after
 * dropping null members (`"error": null` next to a result, `"params": null`) and members JSON-RPC
 * does not define, which that strict schema refuses whole.
 */
function toMessage(value: unknown): JSONRPCMessage | undefined {
  const strict = JSONRPCMessageSchema.safeParse(value);
  if (strict.success) return strict.data;
  if (typeof value !== 'object' || value === null || (value as { jsonrpc?: unknown }).jsonrpc !== '2.0') return undefined;
  const members = Object.entries(value).filter(([name, member]) => ENVELOPE.has(name) && member !== null);
  const tidy = JSONRPCMessageSchema.safeParse(Object.fromEntries(members));
  return tidy.success ? tidy.data : undefined;
}

function parse(text: string): JSONRPCMessage | undefined {
  try {
    return toMessage(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Reads a stdio server's stdout into JSON-RPC messages, one per line as the MCP stdio transport
 * frames them, in place of the SDK's ReadBuffer (same methods, same size limit). Where ReadBuffer
 * fails on any line that is not a message, this one keeps the message at the end of a line whose
 * start is something else (a banner or log text without newline, escape codes, a byte order mark,
 * a `\r` progress bar) and skips lines that hold no message (plain or JSON logs), handing each
 * skipped text to `onNoise` in readable form.
 */
export class StdoutFilter {
  private buffer: Buffer | undefined;

  constructor(
    private readonly onNoise: (text: string) => void,
    private readonly maxBufferSize = STDIO_DEFAULT_MAX_BUFFER_SIZE,
  ) {}

  append(chunk: Buffer): void {
    const size = (this.buffer?.length ?? 0) + chunk.length;
    if (size > this.maxBufferSize) {
      this.clear();
      throw new Error(`stdout buffer exceeded maximum size of ${this.maxBufferSize} bytes`);
    }
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
  }

  /** The next message, skipping lines that hold none; null when no complete line holds one yet. */
  readMessage(): JSONRPCMessage | null {
    for (let end = this.buffer?.indexOf('\n') ?? -1; this.buffer && end !== -1; end = this.buffer.indexOf('\n')) {
      const line = this.buffer.toString('utf8', 0, end);
      this.buffer = this.buffer.subarray(end + 1);
      const message = this.readLine(line);
      if (message) return message;
    }
    return null;
  }

  clear(): void {
    this.buffer = undefined;
  }

  private readLine(line: string): JSONRPCMessage | undefined {
    const whole = parse(line);
    if (whole) return whole;
    // The message starts at an object's opening brace; what comes before it on the line is noise.
    for (let start = line.indexOf('{'); start !== -1; start = line.indexOf('{', start + 1)) {
      if (!/^\{\s*"/.test(line.slice(start, start + 16))) continue;
      const message = parse(line.slice(start));
      if (message) {
        this.noise(line.slice(0, start));
        return message;
      }
    }
    this.noise(line);
    return undefined;
  }

  private noise(text: string): void {
    const shown = readable(text);
    if (shown) this.onNoise(shown);
  }
}
