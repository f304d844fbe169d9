/**
 * Secret member names: every spelling of every name on the built-in list is masked at any depth,
 * and ordinary names that merely contain one of the short words are left alone.
 */
import { describe, expect, it } from 'vitest';
import { isSecretKeyName, MASK, Redactor } from '../../src/redact/index.js';

const SECRET_NAMES = [
  // token
  'token',
  'Token',
  'access_token',
  'accessToken',
  'refresh-token',
  'id_token',
  'X-Auth-Token',
  'githubtoken',
  // secret
  'secret',
  'secrets',
  'client_secret',
  'clientSecret',
  'CLIENT-SECRET',
  'appsecret',
  'secret_key',
  'aws_secret_access_key',
  // password family
  'password',
  'Password',
  'userPassword',
  'db_password',
  'passwd',
  'PASSWD',
  'pwd',
  'pass',
  'db-pass',
  'passphrase',
  // keys
  'api_key',
  'apiKey',
  'api-key',
  'X-API-KEY',
  'apikey',
  'access_key',
  'accessKey',
  'AWS_ACCESS_KEY_ID',
  'private_key',
  'privateKey',
  'PRIVATE-KEY',
  // headers and sessions
  'authorization',
  'Authorization',
  'Proxy-Authorization',
  'auth',
  'x-auth',
  'basicAuth',
  'oauth',
  'cookie',
  'Cookie',
  'cookies',
  'set-cookie',
  'Set-Cookie',
  'set_cookie',
  'session',
  'user_session',
  'session_id',
  'sessionId',
  'SESSIONID',
  'credentials',
  'credential',
  'aws_credentials',
  'jwt',
  'bearer',
];

const ORDINARY_NAMES = [
  'author',
  'authors',
  'authority',
  'passenger',
  'passage',
  'compass',
  'bypass',
  'keyboard',
  'key',
  'keys',
  'monkey',
  'public_key',
  'primary_key',
  'max_tokens',
  'tokens',
  'tokenizer',
  'secretary',
  'sessions',
  'perSessionMiB',
  'session_count',
  'description',
  'message',
  'url',
  'id',
  'hash',
  'user',
  'username',
  'amount',
  'to',
];

describe('secret member names', () => {
  it.each(SECRET_NAMES)('%s is a secret name, masked at any depth whatever the value type', (name) => {
    expect(isSecretKeyName(name)).toBe(true);
    const r = new Redactor();
    for (const value of ['v', 12345, true]) {
      expect(r.value({ a: { b: [{ [name]: value, safe: 1 }] } })).toEqual({
        a: { b: [{ [name]: MASK, safe: 1 }] },
      });
    }
  });

  it.each(ORDINARY_NAMES)('%s is an ordinary name and its value is shown', (name) => {
    expect(isSecretKeyName(name)).toBe(false);
    expect(new Redactor().value({ [name]: 'plain value' })).toEqual({ [name]: 'plain value' });
  });

  it('keeps the shape under a secret name: members stay, scalars are masked, null stays null', () => {
    const r = new Redactor();
    expect(r.value({ credentials: { user: 'u', list: [1, true, null, { x: 'y' }] }, token: 12345 })).toEqual({
      credentials: { user: MASK, list: [MASK, MASK, null, { x: MASK }] },
      token: MASK,
    });
  });

  it('adds configured names (audit.redact.keys) in any spelling, as the whole name or a run of its words', () => {
    const r = new Redactor({ keys: ['card_number', 'SSN'] });
    expect(
      r.value({
        cardNumber: '4111',
        'customer-card-number': '4242',
        ssn: '1',
        Customer_SSN: '2',
        cardholder: 'Ann',
      }),
    ).toEqual({
      cardNumber: MASK,
      'customer-card-number': MASK,
      ssn: MASK,
      Customer_SSN: MASK,
      cardholder: 'Ann',
    });
    expect(r.isSecretKey('card')).toBe(false);
    expect(r.isSecretKey('number')).toBe(false);
    expect(r.isSecretKey('password')).toBe(true);
  });
});
