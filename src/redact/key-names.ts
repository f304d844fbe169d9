/**
 * Which member names hold secrets. A name is read two ways: as its words (`X-Api-Key`,
 * `x_api_key` and `xApiKey` are all `x api key`) and joined (`xapikey`), both lower-case, so every
 * `-`/`_`/camelCase spelling of a name is the same name.
 *
 * Long, unambiguous names match anywhere in the joined form (`db_password`, `mysqlpasswd`,
 * `aws_secret_access_key`). Short ones match only as a whole word or at the end of the joined form,
 * because as substrings they are ordinary English: `pass` is in `passenger` and `bypass`, `auth` in
 * `author`, `token` in `max_tokens`, `secret` in `secretary`, `session` in `sessions`.
 */

/** Secret wherever they appear in the joined name. */
const ANYWHERE =
  /password|passwd|passphrase|passcode|apikey|accesskey|privatekey|secretkey|clientsecret|authorization|cookie|credential/;
/** Secret as a whole word of the name. */
const WORDS = new Set([
  'token',
  'secret',
  'secrets',
  'pass',
  'pwd',
  'auth',
  'oauth',
  'sessionid',
  'sid',
  'jwt',
  'bearer',
]);
/**
 * Secret as the last word only: `session`, `user_session` hold a session's key, but
 * `perSessionMiB` or `session_count` only describe sessions.
 */
const LAST_WORDS = new Set(['session']);
/** Secret at the end of the joined name: `accessToken`, `githubtoken`, `appsecret`, `basicauth`. */
const ENDINGS = /(?:token|secret|auth|sessionid)$/;

/** The name's words, lower-case: `X-Api-Key` -> [x, api, key]; `refreshToken2` -> [refresh, token2]. */
export function keyWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** The name lower-case with everything but letters and digits dropped: `X-Api-Key` -> `xapikey`. */
export function joinedKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** True when a member of this name holds a secret by the built-in list. */
export function isSecretKeyName(name: string): boolean {
  const joined = joinedKey(name);
  if (joined.length < 3 || joined.length > 128) return false;
  if (ANYWHERE.test(joined) || ENDINGS.test(joined)) return true;
  const words = keyWords(name);
  return words.some((w) => WORDS.has(w)) || LAST_WORDS.has(words[words.length - 1] ?? '');
}

/**
 * `audit.redact.keys`: a configured name matches a member whose joined name equals it, or any run of
 * whole words in the member's name (`card_number` matches `cardNumber` and `customer-card-number`).
 */
export function keyMatcher(configured: readonly string[]): (name: string) => boolean {
  const wanted = new Set(configured.map(joinedKey).filter(Boolean));
  if (wanted.size === 0) return () => false;
  return (name) => {
    if (wanted.has(joinedKey(name))) return true;
    const words = keyWords(name);
    for (let i = 0; i < words.length; i++) {
      let run = '';
      for (let j = i; j < words.length && j - i < 8; j++) {
        run += words[j];
        if (wanted.has(run)) return true;
      }
    }
    return false;
  };
}
