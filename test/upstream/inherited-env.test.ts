/**
 * A stdio server inherits exactly what the SDK's StdioClientTransport would give it (our copy
 * avoids loading the SDK client on every start; this keeps the two from drifting apart).
 */
import { DEFAULT_INHERITED_ENV_VARS, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { afterEach, describe, expect, it } from 'vitest';
import { inheritedEnvironment } from '../../src/upstream/inherited-env.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('inheritedEnvironment', () => {
  it('is the SDK default environment, a shell function left out', () => {
    process.env.SHELL = '() { :; }; echo pwned';
    process.env.TOOLGATE_TOKEN = 'secret-not-inherited';
    expect(inheritedEnvironment()).toEqual(getDefaultEnvironment());
    expect(inheritedEnvironment()).not.toHaveProperty('SHELL');
    expect(Object.values(inheritedEnvironment())).not.toContain('secret-not-inherited');
    for (const key of Object.keys(inheritedEnvironment())) expect(DEFAULT_INHERITED_ENV_VARS).toContain(key);
  });
});
