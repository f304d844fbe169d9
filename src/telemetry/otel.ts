// The OpenTelemetry tracer. Loaded only through `createTracer` (a dynamic import) when
// `telemetry.otlp_endpoint` is configured, so nobody else pays for these packages.
import {
  type Attributes,
  type Context,
  createTraceState,
  isSpanContextValid,
  type Tracer as OtelTracer,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import {
  type CallTrace,
  redactUrl,
  type StepSpan,
  TRACEPARENT_META_KEY,
  TRACESTATE_META_KEY,
  type Tracer,
} from './tracer.js';

export interface OtelOptions {
  endpoint: string;
  serviceName: string;
  headers: Record<string, string>;
  /** How long shutdown may wait for the last export (default 5 s). */
  shutdownTimeoutMs?: number;
}

const VERSION = '0.1.0';

/** Span attribute names. */
export const ATTR = {
  method: 'mcp.method.name',
  tool: 'gen_ai.tool.name',
  server: 'toolgate.server',
  grant: 'toolgate.grant',
  session: 'toolgate.session',
  decision: 'toolgate.decision',
  rule: 'toolgate.rule',
  reason: 'toolgate.reason',
  outcome: 'toolgate.outcome',
  backend: 'toolgate.counters.backend',
  counters: 'toolgate.counters.count',
} as const;

export function createOtelTracer(opts: OtelOptions, log: Logger): Tracer {
  const exporter = reportingExporter(
    new OTLPTraceExporter({ url: opts.endpoint, headers: opts.headers, timeoutMillis: 10_000 }),
    redactUrl(opts.endpoint),
    log,
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: opts.serviceName,
      [ATTR_SERVICE_VERSION]: VERSION,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('toolgate', VERSION);
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    startCall: (server, tool, grant, session, meta) =>
      new OtelCallTrace(tracer, server, tool, grant, session, meta),
    flush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn({ endpoint: redactUrl(opts.endpoint) }, 'tracing: gave up on the last export at shutdown');
          resolve();
        }, opts.shutdownTimeoutMs ?? 5_000);
        timer.unref();
        provider.shutdown().then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (err: Error) => {
            clearTimeout(timer);
            log.warn({ err: err.message }, 'tracing: shutdown failed');
            resolve();
          },
        );
      });
      return stopped;
    },
  };
}

/** Logs export failures once per outage (and the recovery), never the headers. */
function reportingExporter(inner: SpanExporter, endpoint: string, log: Logger): SpanExporter {
  let failing = false;
  return {
    export(spans, done) {
      inner.export(spans, (result) => {
        if (result.code !== 0 && !failing) {
          failing = true;
          log.warn(
            { endpoint, err: result.error?.message, spans: spans.length },
            'tracing: span export failed; spans are being dropped until the collector answers',
          );
        } else if (result.code === 0 && failing) {
          failing = false;
          log.info({ endpoint }, 'tracing: span export works again');
        }
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

class OtelStep implements StepSpan {
  constructor(private readonly span: Span) {}

  end(outcome: string, error?: string, rule?: string): void {
    this.span.setAttribute(ATTR.outcome, outcome);
    if (rule !== undefined) this.span.setAttribute(ATTR.rule, rule);
    if (error !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    this.span.end();
  }
}

class OtelCallTrace implements CallTrace {
  private readonly span: Span;
  private readonly ctx: Context;

  constructor(
    private readonly tracer: OtelTracer,
    server: string,
    tool: string,
    grant: string,
    session: string,
    meta: Record<string, unknown> | undefined,
  ) {
    const attributes: Attributes = {
      [ATTR.method]: 'tools/call',
      [ATTR.tool]: tool,
      [ATTR.server]: server,
      [ATTR.grant]: grant,
      [ATTR.session]: session,
    };
    this.span = tracer.startSpan(
      `tools/call ${tool}`,
      { kind: SpanKind.SERVER, attributes },
      parentContext(meta),
    );
    this.ctx = trace.setSpan(ROOT_CONTEXT, this.span);
  }

  private child(name: string, kind: SpanKind, attributes?: Attributes): StepSpan {
    return new OtelStep(this.tracer.startSpan(name, { kind, attributes }, this.ctx));
  }

  policy(): StepSpan {
    return this.child('policy', SpanKind.INTERNAL);
  }

  counters(backend: string, count: number): StepSpan {
    return this.child('counters', SpanKind.INTERNAL, { [ATTR.backend]: backend, [ATTR.counters]: count });
  }

  upstream(): StepSpan {
    return this.child('upstream', SpanKind.CLIENT);
  }

  traceparent(): string | undefined {
    const sc = this.span.spanContext();
    return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  }

  outgoingMeta(): Record<string, string | undefined> {
    return {
      [TRACEPARENT_META_KEY]: this.traceparent(),
      [TRACESTATE_META_KEY]: this.span.spanContext().traceState?.serialize() || undefined,
    };
  }

  end(decision: string, rule: string | undefined, reason: string | undefined, error?: string): void {
    this.span.setAttribute(ATTR.decision, decision);
    if (rule !== undefined) this.span.setAttribute(ATTR.rule, rule);
    if (reason !== undefined && decision !== 'allow') this.span.setAttribute(ATTR.reason, reason);
    if (error !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    this.span.end();
  }
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The client's trace context from `_meta` (W3C Trace Context, level 1): a malformed or all-zero
 * `traceparent` is ignored (the call starts a new trace), and so is `tracestate` without one.
 */
export function parentContext(meta: Record<string, unknown> | undefined): Context {
  const header = meta?.[TRACEPARENT_META_KEY];
  if (typeof header !== 'string') return ROOT_CONTEXT;
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return ROOT_CONTEXT;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  // Version ff is invalid; version 00 has no trailing fields; later versions may add some.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return ROOT_CONTEXT;
  const state = meta?.[TRACESTATE_META_KEY];
  const spanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & 0x01,
    isRemote: true,
    traceState: typeof state === 'string' && state !== '' ? createTraceState(state) : undefined,
  };
  if (!isSpanContextValid(spanContext)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}
