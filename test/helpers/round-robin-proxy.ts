import { createServer, request } from 'node:http';
import { listenOnLoopback, readBody } from './loopback-server.js';
import { Recorder } from './recorder.js';

/** The response header naming the upstream port that answered. */
export const UPSTREAM_HEADER = 'x-upstream-port';

/** One request as the proxy passed it on: to which upstream port, and what came back (502: no upstream answered). */
export interface ProxiedRequest {
  path: string;
  upstream: number | undefined;
  status: number;
  at: number;
}

export interface RoundRobinProxy {
  port: number;
  /** The upstream ports, in the order requests go to them. */
  readonly upstreams: number[];
  /** Every request passed on, in the order it was answered. */
  readonly requests: Recorder<ProxiedRequest>;
  add(port: number): void;
  remove(port: number): void;
  close(): Promise<void>;
}

/** What one upstream answered, or why it could not be asked. */
type Attempt = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer } | { refused: true } | { failed: Error };

function forward(port: number, method: string, path: string, headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<Attempt> {
  return new Promise((resolve) => {
    const upstream = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      readBody(response).then(
        (answer) => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: answer }),
        (error: Error) => resolve({ failed: error }),
      );
    });
    // Refused: nothing listens there (a process that was killed or has stopped), so the request never left and another upstream may take it.
    upstream.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? { refused: true } : { failed: error }));
    upstream.end(body);
  });
}

/**
 * A load balancer on 127.0.0.1 in front of several bot processes' HTTP endpoints: each request goes to
 * the next upstream in turn. An upstream that refuses the connection is skipped, as a balancer's
 * health checks would; one that fails after the request was sent (reset, killed mid-answer) is not
 * asked again, and the caller gets 502, as a POST through nginx or a cloud balancer would: Slack then
 * redelivers the event.
 */
export async function startRoundRobinProxy(upstreams: number[]): Promise<RoundRobinProxy> {
  const ports = [...upstreams];
  const requests = new Recorder<ProxiedRequest>();
  let next = 0;
  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readBody(incoming);
      const path = incoming.url ?? '/';
      for (let tries = 0; tries < ports.length; tries += 1) {
        const port = ports[next++ % ports.length]!;
        const attempt = await forward(port, incoming.method ?? 'GET', path, incoming.headers, body);
        if ('refused' in attempt) continue;
        if ('failed' in attempt) {
          requests.push({ path, upstream: port, status: 502, at: Date.now() });
          outgoing.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream ${port} failed: ${attempt.failed.message}`);
          return;
        }
        requests.push({ path, upstream: port, status: attempt.status, at: Date.now() });
        outgoing.writeHead(attempt.status, { ...attempt.headers, [UPSTREAM_HEADER]: String(port) }).end(attempt.body);
        return;
      }
      requests.push({ path, upstream: undefined, status: 502, at: Date.now() });
      outgoing.writeHead(502, { 'content-type': 'text/plain' }).end('no upstream answered');
    })().catch(() => outgoing.destroy());
  });
  const listening = await listenOnLoopback(server);
  return {
    port: listening.port,
    upstreams: ports,
    requests,
    add: (port) => void ports.push(port),
    remove: (port) => {
      const index = ports.indexOf(port);
      if (index >= 0) ports.splice(index, 1);
    },
    close: () => listening.close(),
  };
}
