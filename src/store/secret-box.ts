import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** AES-256 takes a 256-bit key. */
export const SECRET_KEY_BYTES = 32;
/**
 * 96-bit IVs, drawn at random for every value: NIST SP 800-38D ("Recommendation for Block Cipher
 * Modes of Operation: Galois/Counter Mode (GCM) and GMAC", 2007) §5.2.1.1 recommends IVs of 96 bits,
 * §8.2.2 allows them to be random, and §8.3 then limits one key to 2^32 values, far beyond what a
 * bot stores (each refresh seals one).
 */
const IV_BYTES = 12;
/** The full 128-bit tag (SP 800-38D §5.2.1.2); a shorter one is refused, not accepted as a weaker check. */
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

/**
 * A secret as it is stored: version, which key sealed it, and the rest base64. Only JSON strings, so
 * every Keyv backend keeps it as it is. `kid` is a fingerprint of the key (the first bytes of its
 * SHA-256), which tells the keys apart without saying anything about them.
 */
export interface SealedSecret {
  v: 1;
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

/** A sealed value that neither key opens: sealed with another key, or changed since it was sealed. */
export class SecretUnreadableError extends Error {
  override readonly name = 'SecretUnreadableError';
}

/** True for a value `SecretBox.seal` made (of any key); false for anything stored in clear. */
export function isSealed(value: unknown): value is SealedSecret {
  if (typeof value !== 'object' || value === null) return false;
  const sealed = value as Record<string, unknown>;
  return sealed.v === 1 && typeof sealed.kid === 'string' && typeof sealed.iv === 'string' && typeof sealed.tag === 'string' && typeof sealed.data === 'string';
}

const fingerprint = (key: Buffer) => createHash('sha256').update(key).digest('base64url').slice(0, 11);

/**
 * Seals JSON values with AES-256-GCM (`node:crypto`): a random IV per value, the authentication tag
 * checked on opening, and a context (the value's storage key) bound to it as additional
 * authenticated data, so a sealed value moved to another key does not open there. A previous key
 * opens what it sealed, for rotation; new values are always sealed with the current one.
 */
export class SecretBox {
  private readonly keys: { kid: string; key: Buffer }[];

  /**
   * @param key the current key: 32 bytes
   * @param previousKey a key retired by rotation, used only to open values it sealed
   * @throws RangeError when a key is not 32 bytes
   */
  constructor(key: Buffer, previousKey?: Buffer) {
    for (const each of [key, previousKey]) {
      if (each !== undefined && each.length !== SECRET_KEY_BYTES) throw new RangeError(`an AES-256 key is ${SECRET_KEY_BYTES} bytes, not ${each.length}`);
    }
    this.keys = [key, ...(previousKey ? [previousKey] : [])].map((each) => ({ kid: fingerprint(each), key: each }));
  }

  /** `value` as JSON, sealed with the current key; `context` must be given again to open it. */
  seal(value: unknown, context: string): SealedSecret {
    const { kid, key } = this.keys[0]!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return { v: 1, kid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  /**
   * The value `sealed` holds; `stale` when the previous key sealed it (seal it again with the current one).
   * @throws SecretUnreadableError when neither key sealed it, or it was changed after sealing (the tag does not match)
   */
  open(sealed: SealedSecret, context: string): { value: unknown; stale: boolean } {
    const index = this.keys.findIndex((each) => each.kid === sealed.kid);
    if (index === -1) throw new SecretUnreadableError('it was sealed with a key that is neither the current nor the previous one');
    const iv = Buffer.from(sealed.iv, 'base64');
    const tag = Buffer.from(sealed.tag, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretUnreadableError('its IV or tag has the wrong length');
    const decipher = createDecipheriv(ALGORITHM, this.keys[index]!.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    } catch {
      throw new SecretUnreadableError('its authentication tag does not match: it was changed or damaged after it was sealed');
    }
    return { value: JSON.parse(plain.toString('utf8')) as unknown, stale: index > 0 };
  }
}
