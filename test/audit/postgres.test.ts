import { postgresHarness } from '../store/harness.js';
import { auditSuite } from './audit.suite.js';

auditSuite('postgres', postgresHarness);
