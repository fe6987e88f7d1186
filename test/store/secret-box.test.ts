import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSealed, SecretBox, SecretUnreadableError, type SealedSecret } from '../../src/store/secret-box.js';

const tokens = { access_token: 'at-secret-access', refresh_token: 'rt-secret-refresh', token_type: 'bearer', expires_in: 3600 };
const CONTEXT = 'oauth:tracker:tokens';

/** `sealed` with one byte of a base64 field flipped. */
function flipped(sealed: SealedSecret, field: 'data' | 'tag' | 'iv'): SealedSecret {
  const bytes = Buffer.from(sealed[field], 'base64');
  bytes[0] = bytes[0]! ^ 0x01;
  return { ...sealed, [field]: bytes.toString('base64') };
}

describe('SecretBox (AES-256-GCM)', () => {
  const key = randomBytes(32);

  it('opens what it sealed, and the sealed form holds nothing of the value in clear', () => {
    const box = new SecretBox(key);
    const sealed = box.seal(tokens, CONTEXT);
    expect(isSealed(sealed)).toBe(true);
    expect(isSealed(tokens)).toBe(false);
    expect(sealed.v).toBe(1);
    expect(Buffer.from(sealed.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(sealed.tag, 'base64')).toHaveLength(16);
    expect(JSON.stringify(sealed)).not.toMatch(/secret-access|secret-refresh/);
    expect(box.open(sealed, CONTEXT)).toEqual({ value: tokens, stale: false });
  });

  it('draws a new IV for every value, so the same value never seals the same way twice', () => {
    const box = new SecretBox(key);
    const [first, second] = [box.seal(tokens, CONTEXT), box.seal(tokens, CONTEXT)];
    expect(first.iv).not.toBe(second.iv);
    expect(first.data).not.toBe(second.data);
  });

  it('refuses a value changed after sealing: its data, its tag or its IV', () => {
    const box = new SecretBox(key);
    const sealed = box.seal(tokens, CONTEXT);
    for (const field of ['data', 'tag', 'iv'] as const) {
      expect(() => box.open(flipped(sealed, field), CONTEXT)).toThrow(SecretUnreadableError);
    }
    expect(() => box.open({ ...sealed, tag: Buffer.from(sealed.tag, 'base64').subarray(0, 4).toString('base64') }, CONTEXT)).toThrow(/wrong length/);
  });

  it('refuses a value moved to another storage key (the key is authenticated data)', () => {
    const box = new SecretBox(key);
    expect(() => box.open(box.seal(tokens, CONTEXT), 'oauth:other:tokens')).toThrow(/authentication tag does not match/);
  });

  it('opens a value of the previous key and says it is stale; seals only with the current one', () => {
    const previous = randomBytes(32);
    const old = new SecretBox(previous).seal(tokens, CONTEXT);
    const rotated = new SecretBox(key, previous);
    expect(rotated.open(old, CONTEXT)).toEqual({ value: tokens, stale: true });
    const resealed = rotated.seal(tokens, CONTEXT);
    expect(resealed.kid).not.toBe(old.kid);
    expect(new SecretBox(key).open(resealed, CONTEXT)).toEqual({ value: tokens, stale: false });
  });

  it('refuses a value sealed with a key it does not hold', () => {
    const other = new SecretBox(randomBytes(32)).seal(tokens, CONTEXT);
    expect(() => new SecretBox(key, randomBytes(32)).open(other, CONTEXT)).toThrow(/neither the current nor the previous/);
  });

  it('takes only 32-byte keys', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(RangeError);
    expect(() => new SecretBox(key, randomBytes(31))).toThrow(/32 bytes, not 31/);
  });
});
