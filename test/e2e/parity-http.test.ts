/**
 * Parity through the gateway's HTTP front end (`/mcp/<server>`, stdio upstreams spawned by the
 * gateway): an SDK v2 client sees the same as a client talking to the server directly.
 */
import { describe } from 'vitest';
import { describeMatrix, GATEWAY_HTTP } from '../support/parity.js';
import { everythingParitySuite, filesystemParitySuite, memoryParitySuite } from '../support/parity-suite.js';

describe.sequential('parity over the HTTP front end', () => {
  describeMatrix('server-everything', [GATEWAY_HTTP], everythingParitySuite);
  describeMatrix('server-memory', [GATEWAY_HTTP], memoryParitySuite);
  describeMatrix('server-filesystem', [GATEWAY_HTTP], filesystemParitySuite);
});
