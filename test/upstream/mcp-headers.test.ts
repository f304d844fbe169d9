import { describe, expect, it } from 'vitest';
import { encodeMcpParamValue } from '../../src/mcp/param-headers.js';
import { baseHeaders, postHeaders, sessionHeaders } from '../../src/upstream/mcp-headers.js';

const V = 'io.modelcontextprotocol/protocolVersion';

describe('upstream POST headers', () => {
  it('merges a configured accept list and keeps configured headers, lower-cased', () => {
    const base = baseHeaders({ Accept: 'Application/JSON, text/plain', 'X-Api-Key': 'k' });
    expect(base).toEqual({
      accept: 'application/json, text/plain, text/event-stream',
      'x-api-key': 'k',
      'content-type': 'application/json',
    });
    expect(baseHeaders(undefined).accept).toBe('application/json, text/event-stream');
  });

  it('sends the session id and negotiated version, but no session id on initialize', () => {
    const base = baseHeaders({});
    const call = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: { name: 'echo' } };
    expect(postHeaders(base, call, 's1', '2025-11-25')).toMatchObject({
      'mcp-session-id': 's1',
      'mcp-protocol-version': '2025-11-25',
    });
    // No 2026 headers on a 2025-era request.
    expect(postHeaders(base, call, 's1', '2025-11-25')).not.toHaveProperty('mcp-method');
    const init = { jsonrpc: '2.0' as const, id: 0, method: 'initialize', params: {} };
    expect(postHeaders(base, init, 's1', undefined)).not.toHaveProperty('mcp-session-id');
    const note = { jsonrpc: '2.0' as const, method: 'notifications/cancelled' };
    expect(postHeaders(base, note, undefined, undefined)).not.toHaveProperty('mcp-protocol-version');
  });

  it('derives Mcp-Method, Mcp-Name and the version from a 2026 envelope, as the SDK does', () => {
    const base = baseHeaders({});
    const h = (method: string, params: Record<string, unknown>) =>
      postHeaders(
        base,
        { jsonrpc: '2.0', id: 2, method, params: { ...params, _meta: { [V]: '2026-07-28' } } },
        undefined,
        '2025-11-25',
      );
    expect(h('tools/call', { name: 'echo' })).toMatchObject({
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'echo',
    });
    expect(h('resources/read', { uri: 'file:///a b' })['mcp-name']).toBe('file:///a b');
    expect(h('tasks/get', { taskId: 't1' })['mcp-name']).toBe('t1');
    expect(h('tools/list', {})).not.toHaveProperty('mcp-name');
    expect(h('tools/call', { name: 42 })).not.toHaveProperty('mcp-name');
    expect(h('tools/call', { name: 'héllo' })['mcp-name']).toBe('=?base64?aMOpbGxv?=');
    // A notification never gets them, even with an envelope.
    const note = {
      jsonrpc: '2.0' as const,
      method: 'notifications/x',
      params: { _meta: { [V]: '2026-07-28' } },
    };
    expect(postHeaders(base, note, undefined, undefined)).not.toHaveProperty('mcp-method');
  });

  it("mirrors a 2026 tools/call's declared arguments into Mcp-Param-* headers (SEP-2243)", () => {
    const base = baseHeaders({});
    const declared = (tool: string) =>
      tool === 'echo'
        ? [
            { path: ['region'], name: 'Region', type: 'string' },
            { path: ['n'], name: 'N', type: 'integer' },
            { path: ['t', 'dry'], name: 'Dry-Run', type: 'boolean' },
            { path: ['gone'], name: 'Gone', type: 'string' },
          ]
        : undefined;
    const h = (name: string, args: unknown, meta: Record<string, unknown> = { [V]: '2026-07-28' }) =>
      postHeaders(
        base,
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name, arguments: args, _meta: meta } },
        undefined,
        undefined,
        declared,
      );
    const args = { region: 'Zürich', n: 7, t: { dry: false }, gone: null };
    expect(h('echo', args)).toMatchObject({
      'mcp-param-region': `=?base64?${Buffer.from('Zürich').toString('base64')}?=`,
      'mcp-param-n': '7',
      'mcp-param-dry-run': 'false',
    });
    // Null or absent values, non-primitives and unsafe integers get no header.
    expect(h('echo', args)).not.toHaveProperty('mcp-param-gone');
    expect(
      Object.keys(h('echo', { region: { a: 1 }, n: 2 ** 60 })).filter((k) => k.startsWith('mcp-param-')),
    ).toEqual([]);
    // Undeclared tools and 2025-era requests (no envelope) never get them.
    expect(Object.keys(h('other', args)).filter((k) => k.startsWith('mcp-param-'))).toEqual([]);
    expect(h('echo', args, {})).not.toHaveProperty('mcp-param-region');
  });

  it('encodes field values like the SDK: plain ASCII passes, anything else is base64', () => {
    expect(encodeMcpParamValue('get_weather')).toBe('get_weather');
    expect(encodeMcpParamValue('a\tb')).toBe('a\tb');
    expect(encodeMcpParamValue('')).toBe('=?base64??=');
    expect(encodeMcpParamValue(' padded')).toBe(`=?base64?${Buffer.from(' padded').toString('base64')}?=`);
    expect(encodeMcpParamValue('line\nbreak')).toBe(
      `=?base64?${Buffer.from('line\nbreak').toString('base64')}?=`,
    );
    expect(encodeMcpParamValue('=?base64?x?=')).toBe(
      `=?base64?${Buffer.from('=?base64?x?=').toString('base64')}?=`,
    );
    expect(encodeMcpParamValue('日本')).toBe(`=?base64?${Buffer.from('日本').toString('base64')}?=`);
  });

  it('session headers for DELETE carry the configured headers, session and version', () => {
    expect(sessionHeaders({ Authorization: 'Bearer t' }, 's', '2025-11-25')).toEqual({
      authorization: 'Bearer t',
      'mcp-session-id': 's',
      'mcp-protocol-version': '2025-11-25',
    });
  });
});
