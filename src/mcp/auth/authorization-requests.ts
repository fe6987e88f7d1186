/**
 * Authorization links waiting for a person to follow them, by their OAuth `state`. The link's
 * redirect ends at the bot (`/oauth/callback`), which hands the code to the server that asked.
 */
export class AuthorizationRequests {
  private readonly waiting = new Map<string, { server: string; resolve(code: string): void; reject(error: Error): void }>();

  /** Resolves with the authorization code once the redirect for `state` arrives. */
  expect(state: string, server: string): Promise<string> {
    return new Promise((resolve, reject) => this.waiting.set(state, { server, resolve, reject }));
  }

  /** The redirect arrived: returns the server it was for, or undefined for a state nobody waits for. */
  deliver(state: string, code: string): string | undefined {
    const request = this.waiting.get(state);
    if (!request) return undefined;
    this.waiting.delete(state);
    request.resolve(code);
    return request.server;
  }

  /** Gives up on every wait of `server` (it was closed, or a newer link replaced the old one). */
  abandon(server: string, reason: Error): void {
    for (const [state, request] of this.waiting) {
      if (request.server !== server) continue;
      this.waiting.delete(state);
      request.reject(reason);
    }
  }
}
