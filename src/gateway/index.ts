export { buildCore, type Gateway, type GatewayCore, type GatewayOptions, startGateway } from './gateway.js';
export { createLogger, loggerOptions } from './log.js';
