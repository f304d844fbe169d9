export { ConfigError, type ConfigIssue } from './errors.js';
export { configGrantHolder, type GrantNameHolder, grantNameTaken } from './grant-names.js';
export { type LoadedConfig, loadConfigFile, parseConfig } from './load.js';
export {
  type Config,
  type GrantConfig,
  type HttpServerConfig,
  isStdioServer,
  type PinChangeMode,
  parseDurationMs,
  type ServerConfig,
  type StdioServerConfig,
} from './schema.js';
export { isLoopbackHost, validateConfigSemantics } from './semantics.js';
export { DEFAULT_AGGREGATE_SEPARATOR, suggestServerName } from './server-names.js';
