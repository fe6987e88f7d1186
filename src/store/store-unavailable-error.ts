/** The configured store cannot be reached or used; printed as one line at start-up. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** The store URL as it may appear in logs and errors: never a user name, password or `?password=`. */
export function describeStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.searchParams.delete('password');
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//').replace(/([?&]password=)[^&]*/i, '$1***');
  }
}
