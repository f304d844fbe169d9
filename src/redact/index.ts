/**
 * The redactor: secret member names and secret value shapes, masked in everything the gateway stores
 * or shows. A ground floor: it imports nothing else of ours, so every layer may use it.
 */
export { defaultRedactor } from './default.js';
export { isSecretKeyName } from './key-names.js';
export { patternProblem, Redactor, type RedactorOptions, type RedactPattern } from './redactor.js';
export { MASK } from './text.js';
export { redactUrl } from './url.js';
