export { type DecideOutcome, decideApproval } from './decide.js';
export { approvalJson } from './json.js';
export {
  type ApprovalCall,
  type ApprovalGate,
  ApprovalService,
  type ApprovalServiceOptions,
  type ApprovalVerdict,
} from './service.js';
export { approvalPayload, signBody, slackPayload, type WebhookConfig, WebhookNotifier } from './webhooks.js';
