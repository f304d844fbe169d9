import { redactUrl as redactUrlText } from '../redact/index.js';
// Tracing of tools/call, behind an interface of our own (the interfaces; index.ts builds one): the decision gate talks to a `Tracer`,
// never to OpenTelemetry. Without `telemetry.otlp_endpoint` the tracer is NOOP_TRACER (constant
// objects, nothing allocated per call) and the OpenTelemetry packages are never loaded.

/** W3C trace context keys in a request's `params._meta` (the SDK's TRACEPARENT_META_KEY / TRACESTATE_META_KEY). */
export const TRACEPARENT_META_KEY = 'traceparent';
export const TRACESTATE_META_KEY = 'tracestate';

export interface TelemetryConfig {
  /** OTLP/HTTP (JSON) traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. Tracing is off without it. */
  otlp_endpoint?: string;
  service_name?: string;
  headers?: Record<string, string>;
}

/** One step of a call (policy, counters, upstream): a child span of the call's span. */
export interface StepSpan {
  /**
   * End the step. `outcome` is a short word (allow, deny, ok, limited, error); `error` marks the
   * span as failed with that message; `rule` names the policy rule involved, if any.
   */
  end(outcome: string, error?: string, rule?: string): void;
}

/** The trace of one tools/call: the `tools/call <tool>` span and its children. */
export interface CallTrace {
  /** Around `decide()`. */
  policy(): StepSpan;
  /** Around the counter store's check-and-consume. */
  counters(backend: string, count: number): StepSpan;
  /** From forwarding the request to the upstream's answer. */
  upstream(): StepSpan;
  /** The call span's W3C `traceparent`, for the request sent upstream (undefined when off). */
  traceparent(): string | undefined;
  /**
   * What to set in the forwarded request's `params._meta`: the call span's `traceparent` and
   * `tracestate` (undefined removes the client's), or undefined when tracing is off.
   */
  outgoingMeta(): Record<string, string | undefined> | undefined;
  /** End the call span with the decision (allow, deny, hide, rate_limited, shadow_deny). */
  end(decision: string, rule: string | undefined, reason: string | undefined, error?: string): void;
}

export interface Tracer {
  readonly enabled: boolean;
  /**
   * Start the span of one tools/call. `meta` is the request's `params._meta` as the client sent
   * it: a valid `traceparent` there makes the call span its child.
   */
  startCall(
    server: string,
    tool: string,
    grant: string,
    session: string,
    meta: Record<string, unknown> | undefined,
  ): CallTrace;
  /** Export what is buffered now. */
  flush(): Promise<void>;
  /** Flush and stop (bounded in time: a collector that is down never holds up shutdown). */
  shutdown(): Promise<void>;
}

const NOOP_STEP: StepSpan = { end() {} };

const NOOP_CALL: CallTrace = {
  policy: () => NOOP_STEP,
  counters: () => NOOP_STEP,
  upstream: () => NOOP_STEP,
  traceparent: () => undefined,
  outgoingMeta: () => undefined,
  end() {},
};

export const NOOP_TRACER: Tracer = {
  enabled: false,
  startCall: () => NOOP_CALL,
  flush: async () => {},
  shutdown: async () => {},
};

/** An endpoint for logs: its password masked and its query (which may carry a key) left out. */
export function redactUrl(url: string): string {
  return redactUrlText(url, { query: 'drop' });
}
