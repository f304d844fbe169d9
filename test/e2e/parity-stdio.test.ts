/**
 * Parity through `toolgate stdio --server <name>` (the built CLI as a child process, as a client
 * that launches commands would run it): the same suites as over HTTP.
 */
import { describe } from 'vitest';
import { describeMatrix, STDIO_FRONTEND } from '../support/parity.js';
import { everythingParitySuite, filesystemParitySuite, memoryParitySuite } from '../support/parity-suite.js';

describe.sequential('parity over the stdio front end', () => {
  describeMatrix('server-everything', [STDIO_FRONTEND], everythingParitySuite);
  describeMatrix('server-memory', [STDIO_FRONTEND], memoryParitySuite);
  describeMatrix('server-filesystem', [STDIO_FRONTEND], filesystemParitySuite);
});
