import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { ApprovalRecord } from '../store/index.js';
import { approvalJson } from './json.js';

export interface WebhookConfig {
  url: string;
  secret_env?: string;
  format: 'json' | 'slack';
}

/** The JSON a webhook receives: the call as the audit log shows it (redacted), never a secret. */
export function approvalPayload(a: ApprovalRecord): Record<string, unknown> {
  return {
    type: 'approval.requested',
    ...approvalJson(a),
    decide: {
      approve: `toolgate approvals approve ${a.id} --note "..."`,
      deny: `toolgate approvals deny ${a.id} --note "..."`,
      api: `POST /api/approvals/${a.id}/approve | /deny`,
    },
  };
}

/** A Slack incoming-webhook message ({text, blocks}) for the same approval. */
export function slackPayload(a: ApprovalRecord): Record<string, unknown> {
  const args = JSON.stringify(a.args ?? {}, null, 2);
  const shown = args.length > 2500 ? `${args.slice(0, 2500)}\n...` : args;
  const text = `Approval needed: ${a.server}/${a.tool} for grant ${a.grant} (id ${a.id})`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Approval needed*: \`${a.server}/${a.tool}\`` } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Grant*\n${a.grant}` },
          { type: 'mrkdwn', text: `*Mode*\n${a.mode}` },
          {
            type: 'mrkdwn',
            text: `*Expires*\n<!date^${Math.floor(a.expiresAt / 1000)}^{time}|${new Date(a.expiresAt).toISOString()}>`,
          },
          { type: 'mrkdwn', text: `*Id*\n\`${a.id}\`` },
        ],
      },
      ...(a.reason ? [{ type: 'section', text: { type: 'mrkdwn', text: `*Why*: ${a.reason}` } }] : []),
      { type: 'section', text: { type: 'mrkdwn', text: `*Arguments* (redacted)\n\`\`\`${shown}\`\`\`` } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `\`toolgate approvals approve ${a.id}\` or \`toolgate approvals deny ${a.id} --note "why"\``,
          },
        ],
      },
    ],
  };
}

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * Tells people that a call waits for them. Each POST has its own deadline and runs in the
 * background: a slow or broken receiver never delays or fails the call; failures are logged.
 */
export class WebhookNotifier {
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly hooks: readonly WebhookConfig[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
    private readonly timeoutMs = 5000,
  ) {}

  notify(a: ApprovalRecord): void {
    for (const hook of this.hooks) {
      const p = this.send(hook, a).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }
  }

  /** Waits for deliveries still running (each is bounded by its timeout). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  private async send(hook: WebhookConfig, a: ApprovalRecord): Promise<void> {
    const where = safeUrl(hook.url);
    try {
      const body = JSON.stringify(hook.format === 'slack' ? slackPayload(a) : approvalPayload(a));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'toolgate',
        'x-toolgate-event': 'approval.requested',
        'x-toolgate-delivery': a.id,
      };
      if (hook.secret_env) {
        const secret = this.env[hook.secret_env];
        if (!secret) {
          // Asked to sign but cannot: an unsigned POST would teach receivers to accept forgeries.
          this.log.error(
            { webhook: where, secret_env: hook.secret_env, approval: a.id },
            'approval webhook not sent: its secret environment variable is empty',
          );
          return;
        }
        headers['x-toolgate-signature'] = signBody(body, secret);
      }
      const res = await fetch(hook.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) {
        this.log.warn({ webhook: where, status: res.status, approval: a.id }, 'approval webhook refused');
      } else this.log.debug({ webhook: where, approval: a.id }, 'approval webhook delivered');
    } catch (err) {
      this.log.warn(
        { webhook: where, err: (err as Error).message, approval: a.id },
        'approval webhook failed',
      );
    }
  }
}

/** The URL without credentials or query (Slack webhook URLs carry their secret in the path too). */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.hostname.endsWith('slack.com') ? '/...' : u.pathname}`;
  } catch {
    return '<bad url>';
  }
}
