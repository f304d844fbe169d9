import type { Logger } from 'pino';
import { NOOP_TRACER, redactUrl, type TelemetryConfig, type Tracer } from './tracer.js';

export * from './tracer.js';

/**
 * The tracer for a config: NOOP_TRACER unless `otlp_endpoint` is set, else an OpenTelemetry one
 * (its packages loaded here, on demand). If they cannot be loaded the gateway still serves, untraced,
 * and says so.
 */
export async function createTracer(config: TelemetryConfig | undefined, log: Logger): Promise<Tracer> {
  if (!config?.otlp_endpoint) return NOOP_TRACER;
  try {
    const { createOtelTracer } = await import('./otel.js');
    const tracer = createOtelTracer(
      {
        endpoint: config.otlp_endpoint,
        serviceName: config.service_name ?? 'toolgate',
        headers: config.headers ?? {},
      },
      log,
    );
    log.info({ endpoint: redactUrl(config.otlp_endpoint) }, 'tracing: exporting spans over OTLP/HTTP');
    return tracer;
  } catch (err) {
    log.error(
      { err: (err as Error).message },
      'tracing: could not load OpenTelemetry; serving without traces',
    );
    return NOOP_TRACER;
  }
}
