/**
 * The generated admin token's file and one-time login codes: created 0600 once, refused when
 * others may read it or it holds no token, re-read on rotation (sessions end); codes work once and
 * for 15 minutes.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminCredential } from '../../src/auth/admin.js';
import {
  AdminTokenFileError,
  adminTokenFile,
  ensureAdminTokenFile,
  readAdminTokenFile,
  rotateAdminTokenFile,
} from '../../src/auth/admin-token.js';
import { LOGIN_CODE_TTL_MS, LoginCodes } from '../../src/http/admin/login-codes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toolgate-admin-token-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the admin token file', () => {
  it('lives beside the SQLite database, or beside toolgate.yaml for PostgreSQL', () => {
    expect(adminTokenFile({ storage: { sqlite: '/var/lib/tg/toolgate.db' } }, '/etc/tg')).toBe(
      '/var/lib/tg/admin-token',
    );
    expect(adminTokenFile({ storage: { postgres: 'postgres://x' } }, '/etc/tg')).toBe('/etc/tg/admin-token');
  });

  it('is created once with mode 0600, then read as it is', () => {
    const file = join(dir, 'admin-token');
    const first = ensureAdminTokenFile(file);
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureAdminTokenFile(file)).toEqual({ token: first.token, created: false });
  });

  it('is refused when others may read it, or when it holds no token', () => {
    const file = join(dir, 'admin-token');
    ensureAdminTokenFile(file);
    chmodSync(file, 0o644);
    expect(() => readAdminTokenFile(file)).toThrow(AdminTokenFileError);
    expect(() => readAdminTokenFile(file)).toThrow(/mode 644.*chmod 600/);
    writeFileSync(join(dir, 'short'), 'abc\n', { mode: 0o600 });
    expect(() => readAdminTokenFile(join(dir, 'short'))).toThrow(/does not hold a token/);
    expect(() => readAdminTokenFile(join(dir, 'missing'))).toThrow(/cannot read/);
  });

  it('rotation writes a new token, still 0600; the credential follows it and announces the change', () => {
    const file = join(dir, 'admin-token');
    const warnings: string[] = [];
    const cred = AdminCredential.open({}, {}, file, (m) => warnings.push(m));
    const old = readFileSync(file, 'utf8').trim();
    let rotations = 0;
    cred.onRotate(() => rotations++);
    expect(cred.matches(old)).toBe(true);
    const fresh = rotateAdminTokenFile(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(cred.matches(old)).toBe(false);
    expect(cred.matches(fresh)).toBe(true);
    expect(rotations).toBe(1);
    // A broken edit keeps the token in use and says so (without the token).
    writeFileSync(file, 'x\n', { mode: 0o600 });
    expect(cred.matches(fresh)).toBe(true);
    expect(warnings.join('\n')).toMatch(/does not hold a token.*unchanged/);
    expect(warnings.join('\n')).not.toContain(fresh);
  });

  it('is not made when the token is configured', () => {
    const file = join(dir, 'admin-token');
    const cred = AdminCredential.open({ token_env: 'TG_X' }, { TG_X: 'configured-admin-token' }, file);
    expect(cred.source).toEqual({ kind: 'env', name: 'TG_X' });
    expect(cred.matches('configured-admin-token')).toBe(true);
    expect(() => statSync(file)).toThrow();
    expect(() => AdminCredential.open({ token_env: 'TG_X' }, {}, file)).toThrow(/TG_X, which is not set/);
  });
});

describe('login codes', () => {
  it('work once, within 15 minutes, and a rotation clears them', () => {
    let now = 0;
    const codes = new LoginCodes(() => now);
    const a = codes.issue();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(codes.redeem(a)).toBe(true);
    expect(codes.redeem(a)).toBe(false);
    const b = codes.issue();
    now += LOGIN_CODE_TTL_MS;
    expect(codes.redeem(b)).toBe(false);
    const c = codes.issue();
    codes.clear();
    expect(codes.redeem(c)).toBe(false);
    expect(codes.redeem('')).toBe(false);
  });
});
