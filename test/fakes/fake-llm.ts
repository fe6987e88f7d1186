import { createServer, type ServerResponse } from 'node:http';
import { listenOnLoopback, readBody } from '../helpers/loopback-server.js';
import { Recorder } from '../helpers/recorder.js';

export type ScriptedAnswer =
  | string
  | { toolCall: { tool: string; arguments: Record<string, unknown> } }
  | { nativeToolCalls: { name: string; arguments: Record<string, unknown> }[] }
  | { status: number; headers?: Record<string, string>; body?: string }
  | { malformed: true }
  | { delayMs: number; answer: ScriptedAnswer };

export interface LlmRequestMessage {
  role: string;
  content: string | null;
  [key: string]: unknown;
}

export interface LlmRequest {
  index: number;
  receivedAt: number;
  // The request body as the client sent it; tests read `tools`, `model`, `stream`.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  messages: LlmRequestMessage[];
  /** The newest message a person wrote (tool feedback excluded). */
  lastUserText: string;
  respondedAt?: number;
  authorization: string | undefined;
}

export type LlmScript = (request: LlmRequest) => ScriptedAnswer | Promise<ScriptedAnswer>;

export interface FakeLlm {
  /** Base URL for LLM_BASE_URL, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  requests: Recorder<LlmRequest>;
  setScript(script: LlmScript): void;
  close(): Promise<void>;
}

/** Answers the i-th request with the i-th answer, and every later one with the last. */
export function scriptedSequence(...answers: ScriptedAnswer[]): LlmScript {
  return (request) => answers[Math.min(request.index, answers.length - 1)] ?? '';
}


function lastUserText(messages: LlmRequestMessage[]): string {
  const own = messages.filter((message) => message.role === 'user' && !String(message.content ?? '').startsWith('[tool] '));
  return String(own.at(-1)?.content ?? '');
}

let completionCounter = 0;

function completion(model: string, message: Record<string, unknown>, finishReason: string) {
  completionCounter += 1;
  return {
    id: `chatcmpl-${completionCounter}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

function messageFor(answer: Exclude<ScriptedAnswer, { status: number } | { malformed: true } | { delayMs: number }>): { message: Record<string, unknown>; finish: string } {
  if (typeof answer === 'string') return { message: { content: answer }, finish: 'stop' };
  if ('toolCall' in answer) return { message: { content: JSON.stringify(answer.toolCall) }, finish: 'stop' };
  return {
    message: {
      content: null,
      tool_calls: answer.nativeToolCalls.map((call, index) => ({
        id: `call_${completionCounter}_${index}`,
        type: 'function',
        function: { name: call.name, arguments: JSON.stringify(call.arguments) },
      })),
    },
    finish: 'tool_calls',
  };
}

/** Streams a completion as OpenAI does: role chunk, content chunks, finish chunk, then [DONE]. */
function writeStream(response: ServerResponse, model: string, message: Record<string, unknown>, finish: string): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const base = { id: `chatcmpl-${completionCounter}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
  const send = (delta: Record<string, unknown>, finishReason: string | null) =>
    response.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`);
  send({ role: 'assistant' }, null);
  const content = typeof message.content === 'string' ? message.content : '';
  for (let offset = 0; offset < content.length; offset += 16) send({ content: content.slice(offset, offset + 16) }, null);
  if (Array.isArray(message.tool_calls)) send({ tool_calls: message.tool_calls.map((call, index) => ({ index, ...call })) }, null);
  send({}, finish);
  response.end('data: [DONE]\n\n');
}

/** An OpenAI-compatible chat endpoint on 127.0.0.1 that answers from a script. */
export async function startFakeLlm(initialScript: LlmScript = () => 'ok'): Promise<FakeLlm> {
  let script = initialScript;
  const requests = new Recorder<LlmRequest>();

  const respond = async (answer: ScriptedAnswer, record: LlmRequest, response: ServerResponse): Promise<void> => {
    if (typeof answer === 'object' && 'delayMs' in answer) {
      await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      return respond(answer.answer, record, response);
    }
    record.respondedAt = Date.now();
    if (typeof answer === 'object' && 'status' in answer) {
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body ?? JSON.stringify({ error: { message: `scripted ${answer.status}` } }));
      return;
    }
    if (typeof answer === 'object' && 'malformed' in answer) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id": "chatcmpl-broken", "choices": [');
      return;
    }
    const model = String(record.body.model ?? 'fake-model');
    const { message, finish } = messageFor(answer);
    if (record.body.stream === true) return writeStream(response, model, message, finish);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(completion(model, message, finish)));
  };

  const server = createServer((request, response) => {
    void (async () => {
      if (request.method === 'GET' && request.url === '/v1/models') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'test' }] }));
        return;
      }
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `no route ${request.method} ${request.url}` } }));
        return;
      }
      const body = JSON.parse((await readBody(request)).toString('utf8')) as { messages?: LlmRequestMessage[] };
      const messages = body.messages ?? [];
      // Counted from the last `requests.clear()`, so each test's script starts at 0.
      const record: LlmRequest = { index: requests.items.length, receivedAt: Date.now(), body, messages, lastUserText: lastUserText(messages), authorization: request.headers.authorization };
      requests.push(record);
      let answer: ScriptedAnswer;
      try {
        answer = await script(record);
      } catch (error) {
        answer = { status: 500, body: JSON.stringify({ error: { message: (error as Error).message } }) };
      }
      await respond(answer, record, response);
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: String(error) } }));
    });
  });
  const { port, close } = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    setScript(next) {
      script = next;
    },
    close,
  };
}
