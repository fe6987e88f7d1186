import { createServer } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

/**
 * A port on 127.0.0.1 that nothing listens on now, for a child process that must be told its port up
 * front (a load balancer in front of it needs to know it). Another program could take it before the
 * child does; on a test machine that is rare, and the child then fails to start, loudly.
 */
export async function freePort(): Promise<number> {
  const listening = await listenOnLoopback(createServer());
  await listening.close();
  return listening.port;
}
