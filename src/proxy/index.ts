export * from '../mcp/jsonrpc.js';
export type { CallContext, Caller, CallOutcome, CallVerdict, Gate } from './gate.js';
export { OPEN_GATE } from './gate.js';
export { SessionRegistry } from './registry.js';
export { ClientSession, type SessionOptions } from './session.js';
export type { Sink } from './sink.js';
export { fromTemplate, unknownTool } from './unknown-tool.js';
