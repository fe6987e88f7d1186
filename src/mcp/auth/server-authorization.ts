import { auth, UnauthorizedError } from '@modelcontextprotocol/client';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../logging/logger.js';
import type { StoredOAuthProvider } from './oauth-provider.js';

/** An access token is refreshed this long before it runs out, so no call meets an expired one. */
const REFRESH_AHEAD_MS = 60_000;

/**
 * The part of one server's OAuth that needs a person or a clock: the code their authorization brings,
 * trading it for tokens, and refreshing those tokens before they run out.
 */
export class ServerAuthorization {
  private exchange: Promise<void> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly provider: StoredOAuthProvider,
    private readonly serverUrl: string,
    private readonly log: Logger,
    /** The operator's `allowIssuerMismatch` (RFC 8414 §3.3 check skipped). */
    private readonly skipIssuerMetadataValidation = false,
  ) {}

  /** The code a person's authorization will bring, when `error` says the server wants one. */
  codeAfter(error: unknown): Promise<string> | undefined {
    return error instanceof UnauthorizedError ? this.provider.authorizationCode() : undefined;
  }

  /** Trades the code for tokens (the SDK's `auth()`); one exchange per code, however many wait for it. */
  complete(code: Promise<string>): Promise<void> {
    this.exchange ??= (async () => {
      const authorizationCode = await code;
      const result = await auth(this.provider, { serverUrl: this.serverUrl, authorizationCode, skipIssuerMetadataValidation: this.skipIssuerMetadataValidation });
      if (result !== 'AUTHORIZED') throw new Error(`authorization ended in ${result}`);
      this.log.info('server authorized');
    })().finally(() => (this.exchange = undefined));
    return this.exchange;
  }

  /** True once the code has been exchanged, false when `ms` ran out first (the exchange goes on). */
  completedWithin(code: Promise<string>, ms: number): Promise<boolean> {
    const exchanged = this.complete(code).then(
      () => true,
      () => false,
    );
    return Promise.race([exchanged, delay(Math.max(0, ms), false, { ref: false })]);
  }

  /** The server took the bot's tokens: a later authorization starts a fresh count, and refreshes are scheduled. */
  connected(): void {
    this.provider.authorizationWorked();
    void this.scheduleRefresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
  }

  /** Refreshes an expiring access token ahead of time, and again after each refresh. */
  private async scheduleRefresh(): Promise<void> {
    clearTimeout(this.refreshTimer);
    const expiresAt = await this.provider.expiresAt();
    const tokens = await this.provider.tokens();
    if (this.stopped || expiresAt === undefined || !tokens?.refresh_token) return;
    this.refreshTimer = setTimeout(() => {
      void auth(this.provider, { serverUrl: this.serverUrl, skipIssuerMetadataValidation: this.skipIssuerMetadataValidation })
        .then(() => this.scheduleRefresh())
        .catch((error: unknown) => this.log.warn({ reason: (error as Error).message }, 'token refresh failed; the next call will retry'));
    }, Math.max(1_000, expiresAt - REFRESH_AHEAD_MS - Date.now()));
    this.refreshTimer.unref();
  }
}
