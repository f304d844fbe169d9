// The vocabulary the classifier understands. Kept as data so a reviewer can read the whole
// judgement in one place and a new word is a one-line change with a test row beside it.

/**
 * What a verb does on its own. `record` verbs log that something happened (track_purchase
 * records a purchase, it does not make one), so the nouns after them do not change the category.
 * `deliver` verbs put a message in front of people. `weak-execute` verbs start something whose
 * effect the nouns decide (trigger_campaign sends mail, trigger_workflow runs code).
 */
export type VerbClass =
  | 'read'
  | 'write'
  | 'record'
  | 'delete'
  | 'execute'
  | 'weak-execute'
  | 'money'
  | 'money-out'
  | 'admin'
  | 'deliver';

const VERB_LIST: Record<VerbClass, string[]> = {
  read: [
    'get', 'list', 'read', 'search', 'find', 'fetch', 'show', 'describe', 'view', 'lookup', 'look', 'query',
    'retrieve', 'check', 'count', 'inspect', 'explain', 'analyze', 'analyse', 'summarize', 'open', 'browse',
    'preview', 'echo', 'sum', 'calculate', 'compute', 'validate', 'verify', 'diff', 'compare', 'status',
    'watch', 'poll', 'head', 'tail', 'scan', 'whoami', 'download', 'export', 'dump', 'return', 'load', 'peek',
    'resolve', 'suggest', 'recommend', 'estimate', 'test', 'ping', 'health', 'demonstrate', 'simulate',
    'research', 'gather', 'translate', 'parse', 'extract', 'lint', 'stat',
    'screenshot', 'navigate', 'snapshot',
  ],
  write: [
    'create', 'add', 'update', 'edit', 'set', 'put', 'write', 'insert', 'upsert', 'patch', 'modify', 'change',
    'rename', 'move', 'copy', 'save', 'upload', 'append', 'tag', 'label', 'assign', 'unassign', 'merge',
    'fork', 'star', 'unstar', 'toggle', 'import', 'sync', 'apply', 'schedule', 'subscribe', 'unsubscribe',
    'pin', 'unpin', 'archive', 'unarchive', 'close', 'reopen', 'lock', 'unlock', 'approve', 'reject', 'mark',
    'complete', 'generate', 'compress', 'gzip', 'zip', 'unzip', 'convert', 'transform', 'format', 'render',
    'cancel', 'dismiss', 'push', 'commit', 'rebase', 'restore', 'replace', 'make', 'build', 'store', 'submit',
    'register', 'enable', 'disable', 'pause', 'resume', 'click', 'type', 'fill', 'press', 'drag', 'upgrade',
    'install', 'init', 'initialize', 'manage', 'request', 'publish', 'release', 'duplicate', 'clone', 'resize',
    'enroll', 'attach', 'link', 'unlink', 'mute', 'unmute', 'react', 'vote', 'follow', 'unfollow', 'bookmark',
    'finalize',
  ],
  record: ['track', 'log', 'record', 'report', 'note', 'observe', 'increment', 'identify'],
  delete: [
    'delete', 'remove', 'destroy', 'drop', 'purge', 'erase', 'wipe', 'truncate', 'clear', 'rm', 'del',
    'uninstall', 'prune', 'discard', 'forget', 'empty', 'reset', 'terminate', 'detach',
  ],
  execute: [
    'run', 'exec', 'execute', 'eval', 'evaluate', 'invoke', 'spawn', 'shell', 'bash', 'sh', 'deploy', 'rerun',
    'restart', 'reboot', 'kill', 'start', 'stop', 'dispatch', 'migrate', 'call', 'sudo', 'script',
  ],
  'weak-execute': ['trigger', 'launch', 'process', 'perform', 'do', 'fire'],
  money: ['refund', 'charge', 'bill', 'invoice', 'purchase', 'buy', 'sell', 'trade', 'capture', 'void', 'checkout'],
  'money-out': ['pay', 'transfer', 'withdraw', 'payout', 'wire', 'remit', 'tip', 'donate'],
  admin: [
    'grant', 'revoke', 'invite', 'ban', 'unban', 'kick', 'suspend', 'unsuspend', 'promote', 'demote',
    'impersonate', 'rotate', 'provision', 'deprovision', 'configure', 'authorize', 'deauthorize', 'elevate',
  ],
  deliver: [
    'send', 'notify', 'email', 'mail', 'message', 'sms', 'text', 'post', 'respond', 'comment', 'broadcast',
    'announce', 'dm', 'tweet', 'page', 'alert', 'forward', 'share', 'blast', 'whisper', 'reply',
  ],
};

export const VERBS: ReadonlyMap<string, VerbClass> = new Map(
  (Object.entries(VERB_LIST) as Array<[VerbClass, string[]]>).flatMap(([cls, list]) =>
    list.map((v) => [v, cls] as [string, VerbClass]),
  ),
);

/** Domains a noun (in the name, or a phrase in the description) points at. */
export type NounDomain =
  | 'money'
  | 'money-setup'
  | 'money-weak'
  | 'access'
  | 'privilege'
  | 'secret'
  | 'code'
  | 'container'
  | 'bulk'
  | 'message'
  | 'mass-message'
  | 'draft'
  | 'personal'
  | 'minor';

const NOUN_LIST: Record<NounDomain, string[]> = {
  money: [
    'payment', 'refund', 'charge', 'invoice', 'payout', 'transfer', 'balance', 'money', 'fund', 'funds',
    'wallet', 'bank', 'billing', 'purchase', 'checkout', 'transaction', 'dispute', 'credit', 'debit', 'ledger',
    'fee', 'tax', 'card', 'iban', 'swift', 'crypto', 'token_transfer', 'invoiceitem', 'intent',
  ],
  'money-setup': ['price', 'coupon', 'promotion', 'discount', 'quote', 'paymentlink', 'payment_link', 'plan'],
  'money-weak': ['subscription', 'order', 'cart'],
  access: [
    'role', 'permission', 'member', 'membership', 'collaborator', 'access', 'acl', 'policy', 'webhook',
    'setting', 'config', 'configuration', 'protection', 'sso', 'saml', 'oauth', 'admin', 'owner',
    'invitation', 'installation', 'firewall', 'allowlist', 'whitelist', 'mfa', '2fa', 'group', 'team',
    'organization', 'org', 'user_role', 'ruleset', 'rule', 'audit', 'seat', 'license', 'domain',
  ],
  privilege: ['admin', 'owner', 'role', 'permission', 'superuser', 'root', 'sudo', 'privilege', 'collaborator'],
  secret: [
    'secret', 'token', 'password', 'credential', 'apikey', 'api_key', 'ssh_key', 'deploy_key', 'access_key',
    'private_key', 'env', 'environment_variable', 'anon_key', 'service_key', 'passphrase', 'keychain', 'vault',
    'cookie', 'session_token', 'signing_key', 'gpg_key',
  ],
  code: [
    'sql', 'command', 'cmd', 'shell', 'script', 'code', 'terminal', 'python', 'javascript', 'js', 'bash',
    'program', 'snippet', 'expression', 'migration', 'function', 'lambda', 'workflow', 'pipeline', 'job',
    'query', 'statement', 'process',
  ],
  container: [
    'repository', 'repo', 'database', 'db', 'table', 'schema', 'project', 'account', 'organization', 'org',
    'workspace', 'bucket', 'cluster', 'instance', 'namespace', 'index', 'collection', 'environment', 'stack',
    'volume', 'disk', 'zone', 'site', 'app', 'application', 'server', 'tenant', 'keyspace', 'topic', 'vm',
  ],
  bulk: ['all', 'bulk', 'batch', 'mass', 'everything', 'entire', 'recursive'],
  message: [
    'message', 'email', 'mail', 'sms', 'notification', 'comment', 'reply', 'reaction', 'dm', 'chat', 'thread',
    'push', 'tweet', 'status_update', 'announcement', 'alert', 'text', 'whatsapp', 'inapp', 'voice', 'call',
  ],
  'mass-message': ['campaign', 'newsletter', 'broadcast', 'blast', 'digest', 'journey', 'mailing'],
  draft: ['draft', 'template', 'snippet_template', 'preview'],
  personal: [
    'user', 'customer', 'contact', 'profile', 'subscriber', 'member', 'employee', 'patient', 'person',
    'people', 'email', 'message', 'conversation', 'history', 'chat', 'dm', 'inbox', 'event', 'log', 'address',
    'phone', 'lead', 'payment', 'invoice', 'charge', 'transaction', 'balance', 'order', 'subscription',
    'dispute', 'reply', 'thread',
  ],
  minor: ['label', 'tag', 'reaction', 'star', 'bookmark', 'emoji', 'assignee', 'favorite'],
};

export const NOUNS: ReadonlyMap<string, NounDomain[]> = (() => {
  const map = new Map<string, NounDomain[]>();
  for (const [domain, list] of Object.entries(NOUN_LIST) as Array<[NounDomain, string[]]>) {
    for (const noun of list) map.set(noun, [...(map.get(noun) ?? []), domain]);
  }
  return map;
})();

/** Input properties that say what the tool does with its arguments. */
export type PropDomain =
  | 'money'
  | 'code'
  | 'recipient'
  | 'channel'
  | 'privilege'
  | 'force'
  | 'path'
  | 'url'
  | 'secret';

/** Matched against the whole property name (lower-cased, separators removed). */
export const PROP_EXACT: ReadonlyMap<string, PropDomain> = new Map<string, PropDomain>([
  ['sql', 'code'], ['sqlquery', 'code'], ['command', 'code'], ['cmd', 'code'], ['commandline', 'code'],
  ['script', 'code'], ['code', 'code'], ['sourcecode', 'code'], ['shell', 'code'], ['expression', 'code'],
  ['javascript', 'code'], ['python', 'code'], ['program', 'code'], ['statement', 'code'], ['eval', 'code'],
  ['to', 'recipient'], ['cc', 'recipient'], ['bcc', 'recipient'], ['recipient', 'recipient'],
  ['recipients', 'recipient'], ['recipientemail', 'recipient'], ['phone', 'recipient'],
  ['phonenumber', 'recipient'], ['toemail', 'recipient'], ['channel', 'channel'], ['channelid', 'channel'],
  ['role', 'privilege'], ['roles', 'privilege'], ['permission', 'privilege'], ['permissions', 'privilege'],
  ['scopes', 'privilege'], ['isadmin', 'privilege'], ['admin', 'privilege'], ['accesslevel', 'privilege'],
  ['roleid', 'privilege'], ['rolename', 'privilege'],
  ['force', 'force'], ['recursive', 'force'], ['cascade', 'force'], ['hard', 'force'], ['permanent', 'force'],
  ['purge', 'force'],
  ['path', 'path'], ['paths', 'path'], ['filepath', 'path'], ['filename', 'path'], ['directory', 'path'],
  ['url', 'url'], ['uri', 'url'], ['endpoint', 'url'], ['webhookurl', 'url'], ['callbackurl', 'url'],
  ['password', 'secret'], ['apikey', 'secret'], ['secret', 'secret'], ['token', 'secret'],
  ['privatekey', 'secret'],
]);

/** Matched against each word of a property name (`unit_amount`, `paymentMethod`). */
export const PROP_WORD: ReadonlyMap<string, PropDomain> = new Map<string, PropDomain>([
  ['amount', 'money'], ['price', 'money'], ['currency', 'money'], ['iban', 'money'],
  ['payment', 'money'], ['refund', 'money'], ['sql', 'code'], ['recipient', 'recipient'],
  ['recipients', 'recipient'], ['bcc', 'recipient'], ['permission', 'privilege'], ['permissions', 'privilege'],
]);
