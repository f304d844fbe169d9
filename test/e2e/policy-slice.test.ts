/**
 * The first policy slice end to end: toolgate in front of the conformance fixture (HTTP, in
 * process, so the upstream's request log is at hand). Hidden tools vanish and answer like unknown
 * ones; denied tools get the [POLICY DENIED] result; neither reaches the upstream; no policy at all
 * denies everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { type HttpReply, type Json, McpSession, SIMPLE_TEXT_RESULT } from '../support/mcp-http.js';

const DENY_REASON = 'images are for humans; ask the user to look instead';
const UNKNOWN = 'no_such_tool_anywhere';

/** A reply with the request id and the tool name taken out, to compare answers for different names. */
function shape(reply: HttpReply, name: string): { status: number; body: unknown } {
  const { id: _id, ...body } = reply.body ?? {};
  return { status: reply.status, body: JSON.parse(JSON.stringify(body).replaceAll(name, '<NAME>')) };
}

describe('policy slice through toolgate', () => {
  let fixture: ConformanceServerHandle;
  let gw: TestGateway;
  let allTools: string[];

  beforeAll(async () => {
    fixture = await startConformanceServer();
    gw = await startTestGateway(
      {
        auth: { mode: 'none' },
        servers: {
          sliced: {
            url: fixture.url,
            policy: {
              version: '1',
              default: 'allow',
              hide: ['test_simple_text'],
              tools: { test_image_content: { deny: true, reason: DENY_REASON } },
            },
          },
          globbed: { url: fixture.url, policy: { version: '1', default: 'allow', hide: ['test_*'] } },
          unguarded: { url: fixture.url }, // no policy for the server, none for the grant
        },
      },
      { probe: true },
    );
    // The start-up probe learns how the upstream answers an unknown tool; hidden tools answer the same.
    await gw.probed;
    const direct = await McpSession.open(fixture.url);
    allTools = await direct.listTools();
    await direct.close();
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await fixture?.close();
  });

  it('a hidden tool and a tool denied whatever its arguments are absent from tools/list; everything else is listed', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/sliced`);
    const listed = await s.listTools();
    expect(allTools).toContain('test_simple_text');
    expect(listed).not.toContain('test_simple_text');
    // Left out by hide_denied (the default); unlike a hidden tool, a call gets the deny reason (below).
    expect(listed).not.toContain('test_image_content');
    expect(listed).toEqual(allTools.filter((t) => t !== 'test_simple_text' && t !== 'test_image_content'));
    await s.close();
  });

  it('a hidden tool answers exactly like a tool that does not exist, and never reaches the upstream', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/sliced`);
    const direct = await McpSession.open(fixture.url);
    const before = fixture.log.count('tools/call');

    const hidden = await s.callTool('test_simple_text');
    const unknownThrough = await s.callTool(UNKNOWN);
    const unknownDirect = await direct.callTool(UNKNOWN);

    expect(unknownDirect.body).toHaveProperty('error'); // the fixture's own "unknown tool" answer
    expect(shape(hidden, 'test_simple_text')).toEqual(shape(unknownThrough, UNKNOWN));
    expect(shape(hidden, 'test_simple_text')).toEqual(shape(unknownDirect, UNKNOWN));
    expect(JSON.stringify(hidden.body)).not.toMatch(/polic|hidden|denied/i);

    // The hidden call never reached the fixture. (The unknown name through the gateway may or may
    // not: the gateway answers names the upstream never listed itself once it has seen the list.)
    expect(fixture.log.count('tools/call', 'test_simple_text')).toBe(0);
    expect(fixture.log.count('tools/call', UNKNOWN)).toBeGreaterThanOrEqual(1); // the direct one
    expect(fixture.log.count('tools/call')).toBeLessThanOrEqual(before + 2);
    await Promise.all([s.close(), direct.close()]);
  });

  it('a denied tool returns the [POLICY DENIED] result and never reaches the upstream', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/sliced`);
    const denied = await s.callTool('test_image_content');
    expect(denied.status).toBe(200);
    expect(denied.body).toEqual({
      jsonrpc: '2.0',
      id: expect.anything(),
      result: { content: [{ type: 'text', text: `[POLICY DENIED] ${DENY_REASON}` }], isError: true },
    });
    expect(fixture.log.count('tools/call', 'test_image_content')).toBe(0);

    // An allowed tool on the same session still goes through.
    const allowed = await s.callTool('test_error_handling');
    expect((allowed.body?.result as Json | undefined)?.isError).toBe(true); // the fixture's own tool error
    expect(fixture.log.count('tools/call', 'test_error_handling')).toBe(1);
    await s.close();
  });

  it('with no policy for the grant or the server, every call is denied and none reaches the upstream', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/unguarded`);
    const before = fixture.log.count('tools/call');
    for (const tool of ['test_error_handling', 'test_audio_content']) {
      const reply = await s.callTool(tool);
      const result = reply.body?.result as { isError?: boolean; content?: { text?: string }[] } | undefined;
      expect(result?.isError).toBe(true);
      expect(result?.content?.[0]?.text).toMatch(/^\[POLICY DENIED\] no policy is configured/);
    }
    // A name the server does not have is unknown before any policy: the policy is never asked.
    const unknown = await s.callTool(UNKNOWN);
    expect(JSON.stringify(unknown.body)).not.toMatch(/POLICY DENIED/);
    expect(JSON.stringify(unknown.body)).toMatch(new RegExp(UNKNOWN));
    expect(fixture.log.count('tools/call')).toBe(before);
    await s.close();
  });

  it('a glob hides every matching tool, from lists and from calls', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/globbed`);
    const listed = await s.listTools();
    expect(listed.some((t) => t.startsWith('test_'))).toBe(false);
    expect(listed).toEqual(allTools.filter((t) => !t.startsWith('test_')));
    expect(listed.length).toBeGreaterThan(0); // json_schema_2020_12_tool survives

    const before = fixture.log.count('tools/call');
    const hidden = await s.callTool('test_simple_text');
    const unknown = await s.callTool(UNKNOWN);
    expect(shape(hidden, 'test_simple_text')).toEqual(shape(unknown, UNKNOWN));
    expect(fixture.log.count('tools/call', 'test_simple_text')).toBe(0);
    expect(fixture.log.count('tools/call')).toBe(before); // neither name left the gateway

    // Valid input for the fixture's 2020-12 schema (an email is required unless contactMethod is phone).
    const visible = await s.callTool('json_schema_2020_12_tool', { name: 'x', email: 'x@example.com' });
    expect((visible.body?.result as Json | undefined)?.content).toEqual([
      { type: 'text', text: 'Received: {"name":"x","email":"x@example.com"}' },
    ]);
    await s.close();
  });

  it('an allow-all server next to them still serves the tool the others hide', async () => {
    const open = await startTestGateway({
      auth: { mode: 'none' },
      servers: { plain: { url: fixture.url, policy: { version: '1', default: 'allow' } } },
    });
    try {
      const s = await McpSession.open(`${open.url}/mcp/plain`);
      expect((await s.callTool('test_simple_text')).body?.result).toEqual(SIMPLE_TEXT_RESULT);
      await s.close();
    } finally {
      await open.close();
    }
  });
});
