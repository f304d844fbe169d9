/**
 * `toolgate policy validate|test|explain`: check policies offline. Thin: parse arguments,
 * call src/policy, print. `argv` is what follows `toolgate policy`.
 */
import { parseArgs } from 'node:util';
import {
  type CallFacts,
  type CompiledPolicy,
  canonicalPolicy,
  type Decision,
  decide,
  decisionJson,
  deniedWhateverArgs,
  isUnlisted,
  loadPolicyFile,
  PolicyError,
} from '../policy/index.js';
import { POLICY_USAGE } from './usage.js';

export interface PolicyCommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

class UsageError extends Error {}

export async function runPolicyCommand(argv: string[], io: PolicyCommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'validate':
        return validate(rest, io);
      case 'test':
      case 'explain':
        return decideCommand(sub, rest, io);
      case '--help':
      case '-h':
      case 'help':
        io.stdout(`${POLICY_USAGE}\n`);
        return 0;
      default:
        throw new UsageError(sub ? `unknown policy command "${sub}"` : 'missing policy command');
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`toolgate policy: ${(err as Error).message}\n${POLICY_USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

/** Loads a policy, printing its errors; undefined means the user must fix the file. */
function load(file: string, io: PolicyCommandIo): CompiledPolicy | undefined {
  try {
    return loadPolicyFile(file);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    io.stderr(`${err.message}\n`);
    return undefined;
  }
}

function validate(args: string[], io: PolicyCommandIo): number {
  const { values, positionals } = parseArgs({
    args,
    options: { canonical: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new UsageError('validate needs at least one FILE');
  let failed = 0;
  for (const file of positionals) {
    const policy = load(file, io);
    if (!policy) {
      failed++;
      continue;
    }
    if (values.canonical) io.stdout(`${JSON.stringify(canonicalPolicy(policy), null, 2)}\n`);
    else io.stdout(`ok ${file}${policy.mode === 'shadow' ? ' (shadow mode)' : ''}\n`);
  }
  return failed > 0 ? 1 : 0;
}

function parseJsonObject(text: string | undefined, flag: string): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${flag} must be a JSON object, e.g. '{"amount": 12}'`);
  }
  return value as Record<string, unknown>;
}

function decideCommand(sub: 'test' | 'explain', args: string[], io: PolicyCommandIo): number {
  const { values, positionals } = parseArgs({
    args,
    options: {
      tool: { type: 'string' },
      args: { type: 'string' },
      grant: { type: 'string', default: 'cli' },
      server: { type: 'string', default: 'cli' },
      session: { type: 'string', default: 'cli' },
      claims: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError(`${sub} needs exactly one FILE`);
  if (!values.tool) throw new UsageError(`${sub} needs --tool NAME`);
  const claims = parseJsonObject(values.claims, '--claims');
  const call: CallFacts = {
    server: values.server,
    tool: values.tool,
    args: parseJsonObject(values.args, '--args') ?? {},
    grant: claims ? { name: values.grant, claims } : { name: values.grant },
    session: { id: values.session },
  };
  const policy = load(positionals[0]!, io);
  if (!policy) return 1;
  const d = decide(policy, call);
  if (values.json) io.stdout(`${JSON.stringify(decisionJson(d))}\n`);
  else io.stdout(sub === 'test' ? brief(d) : explain(d, call, policy));
  return 0;
}

function limitLine(d: Decision): string {
  if (d.outcome === 'deny' || d.outcome === 'hide') return 'none (a refused call consumes nothing)';
  if (d.limits.length === 0) return 'none';
  return d.limits
    .map((l) => `${l.counter} +${l.amount} (max ${l.max} per ${l.window}, per ${l.scope}; ${l.rule})`)
    .join('; ');
}

function shadowNote(d: Decision): string {
  return d.shadow ? 'shadow mode: the gateway records this decision but lets the call through\n' : '';
}

function brief(d: Decision): string {
  return `${d.outcome} ${d.rule}\nreason: ${d.reason}\nlimits: ${limitLine(d)}\n${shadowNote(d)}`;
}

/** Whether the model is shown the tool at all (`hide`, `hide_denied`), in words. */
function listing(d: Decision, call: CallFacts, policy: CompiledPolicy): string {
  if (d.outcome === 'hide') return 'left out (hide); a call answers as an unknown tool';
  if (isUnlisted(policy, call.tool)) {
    return 'left out (hide_denied: every call to it is denied whatever its arguments); a call gets the reason above';
  }
  if (deniedWhateverArgs(policy, call.tool)) {
    return policy.mode === 'shadow'
      ? 'listed (denied whatever its arguments, but a shadow policy lets calls through, so it stays listed)'
      : 'listed (denied whatever its arguments, but the policy sets hide_denied: false)';
  }
  return 'listed';
}

function explain(d: Decision, call: CallFacts, policy: CompiledPolicy): string {
  const verdict = { allow: 'ALLOWED', deny: 'DENIED', hide: 'HIDDEN', approval: 'NEEDS APPROVAL' }[d.outcome];
  const lines = [
    `${call.tool} (server ${call.server}, grant ${call.grant.name}): ${verdict}`,
    `rule that fired: ${d.rule}`,
    `why: ${d.explanation}`,
    `the agent is told: ${d.reason}`,
    `limits to consume: ${limitLine(d)}`,
  ];
  if (d.approval) lines.push(`approval: ${d.approval.mode}, times out after ${d.approval.timeoutSeconds}s`);
  lines.push(`tools/list: ${listing(d, call, policy)}`);
  return `${lines.join('\n')}\n${shadowNote(d)}`;
}
