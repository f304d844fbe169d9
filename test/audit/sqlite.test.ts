import { sqliteHarness } from '../store/harness.js';
import { auditSuite } from './audit.suite.js';

auditSuite('sqlite', sqliteHarness);
