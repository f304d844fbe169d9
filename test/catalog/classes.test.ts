// The classes of error issue 15 found on @iterable/mcp, each shown on tools of other products and
// invented names, so a fix that only learned Iterable's names fails here. Each case also shows
// the rule's limit: what must still be classed as before.
import { describe, expect, it } from 'vitest';
import { classifyTool, type ToolDefinition } from '../../src/catalog/index.js';

const tool = (name: string, description?: string, props: string[] = []): ToolDefinition => ({
  name,
  ...(description ? { description } : {}),
  inputSchema: { type: 'object', properties: Object.fromEntries(props.map((p) => [p, { type: 'string' }])) },
});
const classify = (name: string, description?: string, props: string[] = []) => {
  const c = classifyTool(tool(name, description, props));
  return { category: c.category, risk: c.risk };
};

describe('a participle is not the verb', () => {
  it('"running", "failed", "triggered" in a description or name do not choose the category', () => {
    // No verb of its own: before the fix "running" made it Execute; now the no-verb default.
    expect(classify('quiesce_pipeline', 'Quiesce a pipeline that is currently running.')).toEqual({
      category: 'Write',
      risk: 'Medium',
    });
    expect(classify('zap', 'Restart failed webhook deliveries.').category).toBe('Execute');
    expect(classify('muted_triggered_rules').category).toBe('Write');
    expect(classify('widget', 'Permanently deletes the widget and its history.')).toEqual({
      category: 'Delete',
      risk: 'Critical',
    });
  });
});

describe('start and stop run something only when their object runs', () => {
  it.each([
    ['start_container', 'Execute'],
    ['stop_instance', 'Execute'],
    ['start_job', 'Execute'],
    ['stop_app', 'Execute'],
    ['start_ab_test', 'Write'],
    ['stop_newsletter', 'Write'],
  ])('%s is %s', (name, category) => {
    expect(classify(name).category).toBe(category);
  });

  it('starting an export is an export', () => {
    expect(classify('start_export_task', 'Start a background export of all contacts.')).toEqual({
      category: 'Read',
      risk: 'Medium',
    });
    expect(classify('trigger_dump')).toMatchObject({ category: 'Read' });
  });
});

describe('subscriptions', () => {
  it('a subscription to messages is consent; one in a billing system is money', () => {
    expect(
      classify('update_subscriptions', 'Unsubscribe contacts from newsletters.', ['contacts']).category,
    ).toBe('Write');
    expect(
      classify('set_subscription', 'Set a contact subscription.', ['contactId', 'mailingListIds']),
    ).toEqual({
      category: 'Write',
      risk: 'Medium',
    });
    expect(
      classify('update_subscription', 'Update a subscription in Stripe.', ['subscription', 'items']),
    ).toEqual({
      category: 'Financial',
      risk: 'High',
    });
    expect(classify('cancel_subscription', 'Cancel a plan subscription.').category).toBe('Financial');
  });
});

describe('bulk in the description', () => {
  it.each([
    ['upsert_products', 'Bulk upsert products.', 'Write', 'High'],
    ['patch_records', 'Patch up to 5000 records in one call.', 'Write', 'High'],
    ['remove_rows', 'Removes rows in batches.', 'Delete', 'Critical'],
    ['patch_record', 'Patch up to 5 fields of a record.', 'Write', 'Medium'],
  ])('%s (%s) is %s / %s', (name, description, category, risk) => {
    expect(classify(name, description)).toEqual({ category, risk });
  });
});

describe('campaigns: created, set going, stopped', () => {
  it.each([
    ['create_newsletter', 'Create a newsletter draft for later review.', [], 'Write'],
    ['create_newsletter', 'Create a newsletter.', ['subject', 'sendAt'], 'Communication'],
    ['create_mailing', 'Create a mailing that sends to a segment.', [], 'Communication'],
    ['enable_journey', 'Enable a customer journey.', [], 'Communication'],
    ['resume_campaign', 'Resume a paused campaign.', [], 'Communication'],
    ['pause_campaign', 'Pause a campaign.', [], 'Write'],
    ['disable_journey', 'Disable a customer journey.', [], 'Write'],
    ['stop_campaign', 'Stop a campaign.', [], 'Write'],
    ['create_comment', 'Create a comment on an issue.', [], 'Communication'],
  ] as const)('%s (%s %j) is %s', (name, description, props, category) => {
    expect(classify(name, description, [...props]).category).toBe(category);
  });
});

describe('reads: download links, and words that modify another noun', () => {
  it('a read that returns download links is High, and so rate-limited', () => {
    const c = classifyTool(tool('get_report_result', 'Returns signed URLs for the finished report files.'));
    expect(c).toMatchObject({ category: 'Read', risk: 'High' });
    expect(c.recommended).toMatchObject({ limits: [{ window: 'minute', max: 10 }] });
    // Mentioning where links come from later is not returning them.
    expect(classify('create_report', 'Create a report. Use get_report_result for download links.').risk).toBe(
      'Medium',
    );
  });

  it('a personal noun before a shape noun reads the shape, not the person', () => {
    expect(classify('get_contact_schema').risk).toBe('Low');
    expect(classify('list_message_templates').risk).toBe('Low');
    expect(classify('get_customer_count').risk).toBe('Low');
    expect(classify('get_contact').risk).toBe('Medium');
    expect(classify('get_customer_by_email').risk).toBe('Medium');
    expect(classify('list_user_events').risk).toBe('Medium');
  });

  it('a container before another noun says where; the last noun is what goes', () => {
    expect(classify('delete_database_row')).toEqual({ category: 'Delete', risk: 'High' });
    expect(classify('delete_catalog')).toEqual({ category: 'Delete', risk: 'Critical' });
    expect(classify('delete_project_by_name')).toEqual({ category: 'Delete', risk: 'Critical' });
    expect(classify('drop_table_if_exists')).toEqual({ category: 'Delete', risk: 'Critical' });
  });

  it('settings of a non-access thing are configuration, not access', () => {
    expect(classify('update_report_settings').category).toBe('Write');
    expect(classify('update_settings').category).toBe('Admin');
    expect(classify('update_repo_settings').category).toBe('Admin');
    expect(classify('update_sso_config').category).toBe('Admin');
  });
});
