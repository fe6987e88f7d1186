/** Client scenarios known to fail, each with the reason; `npm run conformance` fails on any other. */
export const EXPECTED_FAILURES: Record<string, string> = {};
