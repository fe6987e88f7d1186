import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { TOOL_FEEDBACK_PREFIX } from '../../src/engine/tool-protocol.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import { Recorder } from '../helpers/recorder.js';
import { answerEmbeddings, hashedEmbeddings, type EmbeddingRequest, type EmbeddingScript } from './fake-embeddings.js';
import { refusalFor, type Refusal } from './openai-request-rules.js';

export type ScriptedAnswer =
  /** Assistant text. */
  | string
  /** JSON-mode tool call: the content is `JSON.stringify({ tool, arguments })`. */
  | { toolCall: { tool: string; arguments: Record<string, unknown> } }
  /** Native mode: `tool_calls`. */
  | { nativeToolCalls: { name: string; arguments: Record<string, unknown> }[] }
  /** The assistant message exactly as given, for the shapes real endpoints send (arguments as objects, no ids, content parts…). */
  | { rawMessage: Record<string, unknown>; finishReason?: string }
  /** An HTTP error (429 with retry-after, 500, 401…); the body defaults to an OpenAI-style error. */
  | { status: number; headers?: Record<string, string>; body?: string }
  /** 200 with a broken JSON body. */
  | { malformed: true }
  /** A slow model. */
  | { delayMs: number; answer: ScriptedAnswer }
  /**
   * Assistant text in these pieces, `intervalMs` apart, when the request streams; otherwise whole,
   * after as long as the pieces would have taken.
   * `breakAfter`: the connection drops after that many pieces, as a failing endpoint's would.
   */
  | { chunks: string[]; intervalMs?: number; breakAfter?: number };

export interface LlmRequestMessage {
  role: string;
  content: string | null;
  [key: string]: unknown;
}

export interface LlmRequest {
  /** Counted from the last `requests.clear()`, so each test's script starts at 0. */
  index: number;
  receivedAt: number;
  // The request body as the client sent it; tests read `tools`, `model`, `stream`.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  messages: LlmRequestMessage[];
  /** The newest message a person wrote (tool feedback excluded), without the `[Name] ` tag of a shared thread. */
  lastUserText: string;
  /** The name that message was tagged with, in a shared thread. */
  lastSpeaker?: string;
  /** When the answer was written; stays unset for a request the fake never answered. */
  respondedAt?: number;
  /** A streamed answer: when its first content chunk was written (what "first text" latencies count from). */
  firstChunkAt?: number;
  /** The Authorization header as sent, to check which key reached the endpoint. */
  authorization?: string;
  /** Set when a strict fake answered 400 as OpenAI would; the script was not asked. */
  refusal?: Refusal;
}

export type LlmScript = (request: LlmRequest) => ScriptedAnswer | Promise<ScriptedAnswer>;

export interface FakeLlmOptions {
  /**
   * Refuse with HTTP 400 what OpenAI's endpoint refuses (see openai-request-rules.ts). On by default;
   * only a test of the fake's own lenient behaviour turns it off.
   */
  strict?: boolean;
  /** `refused`: every `stream: true` request gets the 400 OpenAI sends for a model that cannot stream. */
  streaming?: 'refused';
}

export interface FakeLlm {
  /** Base URL for LLM_BASE_URL, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  requests: Recorder<LlmRequest>;
  /** Every refusal since the fake started (`requests.clear()` keeps them); empty when the bot sent only what OpenAI takes. */
  refusals(): Refusal[];
  setScript(script: LlmScript): void;
  /** `POST /v1/embeddings` requests (refused ones included); `requests` holds only chat completions. */
  embeddingRequests: Recorder<EmbeddingRequest>;
  /** How embeddings are answered; by default hashedEmbeddings (texts sharing words are close). */
  setEmbeddings(script: EmbeddingScript): void;
  close(): Promise<void>;
}

/** Answers the i-th request with the i-th answer, and every later one with the last. */
export function scriptedSequence(...answers: ScriptedAnswer[]): LlmScript {
  return (request) => answers[Math.min(request.index, answers.length - 1)] ?? '';
}

/** A model reads `[Ada] hello` as Ada saying hello; scripts get both halves. */
function spokenBy(content: string): { lastUserText: string; lastSpeaker?: string } {
  const tagged = /^\[([^\]]+)\] ([\s\S]*)$/.exec(content);
  return tagged ? { lastUserText: tagged[2]!, lastSpeaker: tagged[1] } : { lastUserText: content };
}

function isToolFeedback(message: LlmRequestMessage): boolean {
  return message.role === 'tool' || (message.role === 'user' && String(message.content ?? '').startsWith(TOOL_FEEDBACK_PREFIX));
}

/**
 * The tool result the bot just fed back, when the request's last message is one: a `tool` message's
 * content (native mode) or a JSON-mode feedback message without its `[tool] ` prefix, e.g.
 * "Result of add:\n5". Undefined when the last message is not tool feedback.
 */
export function toolResultText(request: LlmRequest): string | undefined {
  const last = request.messages.at(-1);
  if (!last || !isToolFeedback(last)) return undefined;
  const content = String(last.content ?? '');
  return last.role === 'tool' ? content : content.slice(TOOL_FEEDBACK_PREFIX.length);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(value));
}

let completionCounter = 0;
const USAGE = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

function completion(id: string, model: string, message: Record<string, unknown>, finishReason: string) {
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason }],
    usage: USAGE,
  };
}

type MessageAnswer = Exclude<ScriptedAnswer, { status: number } | { malformed: true } | { delayMs: number }>;

function messageFor(answer: MessageAnswer, id: string): { message: Record<string, unknown>; finish: string } {
  if (typeof answer === 'string') return { message: { content: answer }, finish: 'stop' };
  if ('chunks' in answer) return { message: { content: answer.chunks.join('') }, finish: 'stop' };
  if ('toolCall' in answer) return { message: { content: JSON.stringify(answer.toolCall) }, finish: 'stop' };
  if ('rawMessage' in answer) return { message: answer.rawMessage, finish: answer.finishReason ?? 'stop' };
  return {
    message: {
      content: null,
      tool_calls: answer.nativeToolCalls.map((call, index) => ({
        id: `call_${id}_${index}`,
        type: 'function',
        function: { name: call.name, arguments: JSON.stringify(call.arguments) },
      })),
    },
    finish: 'tool_calls',
  };
}

/** Content as a stream sends it: the scripted pieces, else 16 characters a chunk. */
function pieces(content: string): string[] {
  const result: string[] = [];
  for (let offset = 0; offset < content.length; offset += 16) result.push(content.slice(offset, offset + 16));
  return result;
}

interface StreamPlan {
  /** A raw message: streamed as one delta holding all of it. */
  raw?: boolean;
  chunks: string[];
  intervalMs: number;
  breakAfter?: number;
}

/**
 * Streams a completion as OpenAI does: a role chunk, content chunks, each tool call's id and name and
 * then its arguments in fragments, a finish chunk, usage if asked, then [DONE].
 */
async function writeStream(
  response: ServerResponse,
  record: LlmRequest,
  head: { id: string; model: string; includeUsage: boolean },
  message: Record<string, unknown>,
  finish: string,
  plan: StreamPlan,
  pause: (ms: number) => Promise<void>,
): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const base = { id: head.id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: head.model };
  const send = (chunk: Record<string, unknown>) => response.write(`data: ${JSON.stringify({ ...base, ...chunk })}\n\n`);
  const delta = (value: Record<string, unknown>, finishReason: string | null) => send({ choices: [{ index: 0, delta: value, finish_reason: finishReason }] });
  delta({ role: 'assistant' }, null);
  if (plan.raw) {
    // An odd shape goes out as the endpoint would stream it: whole, in one delta.
    record.firstChunkAt ??= Date.now();
    delta(message, null);
    delta({}, finish);
    response.end('data: [DONE]\n\n');
    return;
  }
  for (const [index, chunk] of plan.chunks.entries()) {
    if (index > 0 && plan.intervalMs > 0) await pause(plan.intervalMs);
    if (plan.breakAfter !== undefined && index >= plan.breakAfter) {
      // What was sent reaches the client first (an SSE comment flushes it), then the connection drops.
      await new Promise<void>((resolve) => response.write(':\n\n', () => resolve()));
      response.destroy();
      return;
    }
    record.firstChunkAt ??= Date.now();
    delta({ content: chunk }, null);
  }
  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as { id: string; type: string; function: { name: string; arguments: string } }[]) : [];
  for (const [index, call] of calls.entries()) {
    delta({ tool_calls: [{ index, id: call.id, type: call.type, function: { name: call.function.name, arguments: '' } }] }, null);
    for (let offset = 0; offset < call.function.arguments.length; offset += 8) delta({ tool_calls: [{ index, function: { arguments: call.function.arguments.slice(offset, offset + 8) } }] }, null);
  }
  delta({}, finish);
  if (head.includeUsage) send({ choices: [], usage: USAGE });
  response.end('data: [DONE]\n\n');
}

/** What OpenAI answers a streamed request to a model that cannot stream. */
const STREAM_REFUSAL = {
  error: { message: "Unsupported value: 'stream' does not support true with this model. Supported values are: false.", type: 'invalid_request_error', param: 'stream', code: 'unsupported_value' },
};

/** OpenAI's error body for a request it refuses. */
function refusalBody(refusal: Refusal) {
  return { error: { message: refusal.message, type: 'invalid_request_error', param: refusal.param, code: null } };
}

/**
 * An OpenAI-compatible chat endpoint on 127.0.0.1 that answers from a script (by default: "ok"),
 * refusing as OpenAI does what OpenAI would refuse unless `strict: false`.
 */
export async function startFakeLlm(initialScript: LlmScript = () => 'ok', options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const strict = options.strict ?? true;
  let script = initialScript;
  const requests = new Recorder<LlmRequest>();
  const refusals: Refusal[] = [];
  const embeddingRequests = new Recorder<EmbeddingRequest>();
  let embeddings: EmbeddingScript = hashedEmbeddings;
  // Slow answers still pending; close() cancels them so no timer outlives the fake.
  const delays = new Set<NodeJS.Timeout>();
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        delays.delete(timer);
        resolve();
      }, ms);
      delays.add(timer);
    });

  const respond = async (answer: ScriptedAnswer, record: LlmRequest, response: ServerResponse): Promise<void> => {
    if (typeof answer === 'object' && 'delayMs' in answer) {
      await delay(answer.delayMs);
      return respond(answer.answer, record, response);
    }
    record.respondedAt = Date.now();
    if (typeof answer === 'object' && 'status' in answer) {
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body ?? JSON.stringify({ error: { message: `scripted ${answer.status}`, type: 'fake_error' } }));
      return;
    }
    if (typeof answer === 'object' && 'malformed' in answer) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id": "chatcmpl-broken", "choices": [');
      return;
    }
    // A model takes as long to write an answer whether or not it streams it.
    if (typeof answer === 'object' && 'chunks' in answer && record.body.stream !== true && answer.intervalMs) await delay(answer.intervalMs * Math.max(0, answer.chunks.length - 1));
    completionCounter += 1;
    const id = `chatcmpl-${completionCounter}`;
    const { message, finish } = messageFor(answer, String(completionCounter));
    const model = typeof record.body.model === 'string' ? record.body.model : 'fake-model';
    if (record.body.stream === true) {
      const plan: StreamPlan =
        typeof answer === 'object' && 'chunks' in answer
          ? { chunks: answer.chunks, intervalMs: answer.intervalMs ?? 0, breakAfter: answer.breakAfter }
          : { raw: typeof answer === 'object' && 'rawMessage' in answer, chunks: pieces(typeof message.content === 'string' ? message.content : ''), intervalMs: 0 };
      return writeStream(response, record, { id, model, includeUsage: record.body.stream_options?.include_usage === true }, message, finish, plan, delay);
    }
    sendJson(response, 200, completion(id, model, message, finish));
  };

  const answerCompletion = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let body: { model?: unknown; messages?: LlmRequestMessage[] };
    try {
      body = JSON.parse(await readBody(request)) as typeof body;
    } catch {
      return sendJson(response, 400, refusalBody({ message: 'We could not parse the JSON body of your request.', param: null }));
    }
    const messages = body.messages ?? [];
    const lastUser = messages.filter((message) => message.role === 'user' && !isToolFeedback(message)).at(-1);
    const record: LlmRequest = {
      index: requests.items.length,
      receivedAt: Date.now(),
      body,
      messages,
      ...spokenBy(String(lastUser?.content ?? '')),
      authorization: request.headers.authorization,
      refusal: strict ? refusalFor(body) : undefined,
    };
    requests.push(record);
    if (record.refusal) {
      refusals.push(record.refusal);
      record.respondedAt = Date.now();
      return sendJson(response, 400, refusalBody(record.refusal));
    }
    if (options.streaming === 'refused' && record.body.stream === true) {
      record.respondedAt = Date.now();
      return sendJson(response, 400, STREAM_REFUSAL);
    }
    let answer: ScriptedAnswer;
    try {
      answer = await script(record);
    } catch (error) {
      answer = { status: 500, body: JSON.stringify({ error: { message: error instanceof Error ? error.message : String(error), type: 'script_error' } }) };
    }
    await respond(answer, record, response);
  };

  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/v1/models') {
      return sendJson(response, 200, { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'test' }] });
    }
    if (request.method === 'POST' && request.url === '/v1/chat/completions') {
      answerCompletion(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: { message: String(error) } });
        else response.end();
      });
      return;
    }
    if (request.method === 'POST' && request.url === '/v1/embeddings') {
      answerEmbeddings(request, response, { strict, script: embeddings, requests: embeddingRequests, refusals }).catch((error: unknown) => sendJson(response, 500, { error: { message: String(error) } }));
      return;
    }
    sendJson(response, 404, { error: { message: `no route ${request.method} ${request.url}` } });
  });
  const listening = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${listening.port}/v1`,
    requests,
    refusals: () => [...refusals],
    setScript(next) {
      script = next;
    },
    embeddingRequests,
    setEmbeddings(next) {
      embeddings = next;
    },
    async close() {
      for (const timer of delays) clearTimeout(timer);
      delays.clear();
      await listening.close();
    },
  };
}
