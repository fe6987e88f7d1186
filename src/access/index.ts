export { AccessPolicy } from './access-policy.js';
export type { ServerAccessConfig } from './access-policy.js';
export { OPEN_RULE, permits } from './access-rule.js';
export type { AccessRule, Asker } from './types.js';
