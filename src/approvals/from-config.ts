import type { Logger } from 'pino';
import type { AuditInput } from '../audit/types.js';
import type { Config } from '../config/index.js';
import type { Redactor } from '../redact/index.js';
import type { Store } from '../store/index.js';
import { ApprovalService } from './service.js';
import { WebhookNotifier } from './webhooks.js';

/** The gateway's approval service from toolgate.yaml (`approvals:`; `audit.redact` through the redactor), started. */
export async function startApprovals(deps: {
  config: Config;
  store: Store;
  audit: { record(input: AuditInput): void };
  log: Logger;
  env: NodeJS.ProcessEnv;
  /** The audit log's redactor, so approvers see what the audit log stores. */
  redactor: Redactor;
}): Promise<ApprovalService> {
  const { approvals } = deps.config;
  const service = new ApprovalService({
    store: deps.store,
    audit: deps.audit,
    log: deps.log,
    redactor: deps.redactor,
    webhooks:
      approvals.webhooks.length > 0 ? new WebhookNotifier(approvals.webhooks, deps.env, deps.log) : undefined,
  });
  await service.start();
  return service;
}
