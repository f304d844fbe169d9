// `toolgate init`: find the MCP servers a user's clients already use and put toolgate in front.
export { CLIENT_LABELS, clientFiles } from './clients.js';
export { type DiscoverOptions, discover } from './discover.js';
export { BACKUP_SUFFIX, type Manifest, type ManifestFile, manifestPath, readManifest } from './manifest.js';
export { type MergedServer, mergeEntries, safeName, selectServers } from './merge.js';
export { renderConfig } from './render.js';
export { formatFound, formatResult, type InitReportJson, initReportJson, undoReportJson } from './report.js';
export { type UndoResult, undoRewrite } from './rewrite.js';
export { type InitOptions, type InitResult, runInit, type Scan, scan, TOKEN_ENV } from './run.js';
export { isSecret } from './secrets.js';
export { starterPolicy } from './starter-policy.js';
export type * from './types.js';
