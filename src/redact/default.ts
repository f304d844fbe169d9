import { Redactor } from './redactor.js';

/** The built-in names and shapes only, for places that have no config (logs, error messages). */
export const defaultRedactor = new Redactor();
