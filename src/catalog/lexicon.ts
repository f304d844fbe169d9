// The vocabulary the classifier understands. Kept as data so a reviewer can read the whole
// judgement in one place and a new word is a one-line change with a test row beside it.

/** A word list written as one string, so the lists stay readable and formatter-proof. */
function list(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length > 0);
}

function invert<D extends string>(lists: Partial<Record<D, string>>): Map<string, D[]> {
  const map = new Map<string, D[]>();
  for (const [domain, text] of Object.entries(lists) as Array<[D, string]>) {
    for (const word of list(text)) map.set(word, [...(map.get(word) ?? []), domain]);
  }
  return map;
}

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

const VERB_LIST: Record<VerbClass, string> = {
  read: `
    get list read search find fetch show describe view lookup look query retrieve check count inspect
    explain analyze analyse summarize open browse preview echo sum calculate compute validate verify
    diff compare status watch poll head tail scan whoami download export dump return load peek resolve
    suggest recommend estimate test ping health demonstrate simulate research gather translate parse
    extract lint stat screenshot navigate snapshot`,
  write: `
    create add update edit set put write insert upsert patch modify change rename move copy save upload
    append tag label assign unassign merge fork star unstar toggle import sync apply schedule subscribe
    unsubscribe pin unpin archive unarchive close reopen lock unlock approve reject mark complete
    generate compress gzip zip unzip convert transform format render cancel dismiss push commit rebase
    restore replace make build store submit register enable disable pause resume click type fill press
    drag upgrade install init initialize manage request publish release duplicate clone resize enroll
    attach link unlink mute unmute react vote follow unfollow bookmark finalize scale undo
    rollback drain cordon uncordon evict failover abort activate deactivate declare end`,
  record: `track log record report note observe increment identify`,
  delete: `
    delete remove destroy drop purge erase wipe truncate clear rm del uninstall prune discard forget
    empty reset terminate detach`,
  execute: `
    run exec execute eval evaluate invoke spawn shell bash sh deploy rerun restart reboot kill
    dispatch migrate call sudo script`,
  // `start` and `stop` run something only when their object runs (start_container, stop_job);
  // start_experiment or stop_campaign change a setting of a thing that runs no code.
  'weak-execute': `trigger launch process perform do fire start stop`,
  money: `refund charge bill invoice purchase buy sell trade capture void checkout`,
  'money-out': `pay transfer withdraw payout wire remit tip donate`,
  admin: `
    grant revoke invite ban unban kick suspend unsuspend promote demote impersonate rotate provision
    deprovision configure authorize deauthorize elevate`,
  deliver: `
    send notify email mail message sms text post respond comment broadcast announce dm tweet page alert
    forward share blast whisper reply`,
};

/** A word in several lists takes the last one (`reply` is delivery, not a plain write). */
export const VERBS: ReadonlyMap<string, VerbClass> = new Map(
  [...invert(VERB_LIST)].map(([word, classes]) => [word, classes.at(-1)!] as [string, VerbClass]),
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
  | 'infra'
  | 'bulk'
  | 'message'
  | 'mass-message'
  | 'draft'
  | 'personal'
  | 'runnable'
  | 'minor';

const NOUN_LIST: Record<NounDomain, string> = {
  money: `
    payment refund charge invoice payout transfer balance money fund funds wallet bank billing purchase
    checkout transaction dispute credit debit ledger fee tax card iban swift crypto token_transfer
    invoiceitem intent wire withdrawal remittance`,
  personal: `
    payment charge invoice balance transaction dispute subscription order member message email reply dm
    chat thread user customer contact profile subscriber employee patient person people conversation
    history inbox event log address phone lead`,
  'money-setup': `price coupon promotion discount quote paymentlink payment_link plan`,
  'money-weak': `subscription order cart`,
  access: `
    role permission member membership collaborator access acl policy webhook setting config
    configuration protection sso saml oauth admin owner invitation installation firewall allowlist
    whitelist mfa 2fa group team organization org user_role ruleset rule audit seat license domain`,
  privilege: `role permission collaborator admin owner superuser root sudo privilege`,
  container: `
    organization org repository repo database db table schema project account workspace bucket cluster
    instance namespace index collection environment stack volume disk zone site app application server
    tenant keyspace topic vm catalog`,
  // Running infrastructure: a change takes effect at once for everyone the service serves
  // (kubectl_apply, terraform_apply, scale_deployment), so even a plain write is High. The tool
  // names themselves count: `kubectl_apply` names no object, the CLI is the object.
  infra: `
    kubectl helm terraform pulumi manifest deployment replicaset statefulset daemonset pod rollout
    infrastructure`,
  secret: `
    secret token password credential apikey api_key ssh_key deploy_key access_key private_key env
    environment_variable anon_key service_key passphrase keychain vault cookie session_token signing_key
    gpg_key`,
  code: `
    sql command cmd shell script code terminal python javascript js bash program snippet expression
    migration function lambda workflow pipeline job query statement process`,
  // `many` as in MongoDB's delete_many / update_many.
  bulk: `all bulk batch mass everything entire recursive many`,
  message: `
    message email mail sms notification comment reply reaction dm chat thread push tweet status_update
    announcement alert text whatsapp inapp voice call`,
  minor: `reaction label tag star bookmark emoji assignee favorite`,
  // Things that run once started: start_container or stop_instance runs or halts software.
  runnable: `
    container vm instance server service machine worker sandbox pod process job task daemon bot agent
    runner app application kernel notebook browser emulator simulator`,
  'mass-message': `campaign newsletter broadcast blast digest journey mailing`,
  draft: `draft template snippet_template preview`,
};

export const NOUNS: ReadonlyMap<string, NounDomain[]> = invert(NOUN_LIST);

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
  | 'secret'
  | 'send-time';

/** Matched against the whole property name (lower-cased, separators removed). */
export const PROP_EXACT: ReadonlyMap<string, PropDomain> = new Map(
  [
    ...invert<PropDomain>({
      code: `
      sql sqlquery command cmd commandline script code sourcecode shell expression javascript python
      program statement eval`,
      recipient: `to cc bcc recipient recipients recipientemail phone phonenumber toemail`,
      channel: `channel channelid`,
      privilege: `role roles permission permissions scopes isadmin admin accesslevel roleid rolename`,
      force: `force recursive cascade hard permanent purge`,
      path: `path paths filepath filename directory`,
      url: `url uri endpoint webhookurl callbackurl`,
      secret: `password apikey secret token privatekey`,
      // A campaign created with a send time is a scheduled send; without one it is content.
      'send-time': `sendat sendtime senddate scheduledat scheduleat scheduledtime scheduletime deliverat`,
    }),
  ].map(([word, domains]) => [word, domains[0]!] as [string, PropDomain]),
);

/** Matched against each word of a property name (`unit_amount`, `paymentMethod`). */
export const PROP_WORD: ReadonlyMap<string, PropDomain> = new Map(
  [
    ...invert<PropDomain>({
      money: `amount price currency iban payment refund`,
      code: `sql`,
      recipient: `recipient recipients bcc`,
      privilege: `permission permissions`,
    }),
  ].map(([word, domains]) => [word, domains[0]!] as [string, PropDomain]),
);
