import type { Logger } from 'pino';
import { type ParamHeaderDeclaration, scanParamHeaders } from '../mcp/param-headers.js';

/**
 * The `x-mcp-header` declarations of every tool an upstream listed, per server and tool, from the
 * tools/list results the gateway relays (DecisionGate.observeTools) and its own probes. Cheap: only
 * tools that declare something are kept; a later listing of the same tool replaces (or drops) them.
 */
export class ParamHeaderRegistry {
  private readonly byServer = new Map<string, Map<string, readonly ParamHeaderDeclaration[]>>();
  /** server \n tool -> the reason last logged, so an invalid tool is logged once, not per listing. */
  private readonly warned = new Map<string, string>();

  constructor(private readonly log?: Logger) {}

  observe(server: string, tools: readonly Record<string, unknown>[]): void {
    for (const tool of tools) {
      if (typeof tool.name !== 'string') continue;
      const scan = scanParamHeaders(tool.inputSchema);
      const declarations = scan.declarations ?? [];
      if (!scan.ok && this.warned.get(`${server}\n${tool.name}`) !== scan.reason) {
        this.warned.set(`${server}\n${tool.name}`, scan.reason);
        this.log?.warn(
          { server, tool: tool.name, reason: scan.reason },
          'tool has an invalid x-mcp-header declaration (2026 clients drop it)',
        );
      }
      let tools = this.byServer.get(server);
      if (declarations.length === 0) {
        tools?.delete(tool.name);
        continue;
      }
      if (!tools) {
        tools = new Map();
        this.byServer.set(server, tools);
      }
      tools.set(tool.name, declarations);
    }
  }

  /** The declarations of a tool, or undefined when it declares none (or was never listed). */
  get(server: string, tool: string): readonly ParamHeaderDeclaration[] | undefined {
    return this.byServer.get(server)?.get(tool);
  }
}
