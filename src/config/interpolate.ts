import { ConfigError } from './config-error.js';

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` in every string inside `value` with the environment's value.
 * `where(path)` names the place for the error when a variable is missing.
 */
export function interpolate(value: unknown, env: Record<string, string | undefined>, where: (path: string) => string, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (_, name: string) => {
      const replacement = env[name];
      if (replacement === undefined) throw new ConfigError(`${where(path)}: \${${name}} is not set in the environment`);
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, where, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env, where, path ? `${path}.${key}` : key)]),
    );
  }
  return value;
}
