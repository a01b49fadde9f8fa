import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { newAccount } from './browser.ts';

/**
 * The steps of the first-day journey, each as a user does it: by the labels, roles and words on
 * the page. dashboard.test.ts runs them in order on one page.
 */

type Account = ReturnType<typeof newAccount>;

export async function signUpInTheForm(page: Page, account: Account): Promise<void> {
  await page.goto('/signup');
  await page.getByLabel('Name', { exact: true }).fill(account.name);
  await page.getByLabel('Email', { exact: true }).fill(account.email);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByLabel('Organisation name', { exact: true }).fill(account.organizationName);
  await page.getByRole('button', { name: 'Create account' }).click();
  // Signed in, in an organisation of one's own: the shell names it.
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByText(account.organizationName).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
}

/** Creates an item on the Items page and finds it in the list. */
export async function createItem(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Items' }).click();
  await page.getByRole('heading', { name: 'Items', level: 1 }).waitFor();
  // The header and the empty state both offer it.
  await page.getByRole('link', { name: 'New item' }).first().click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Create item' }).click();
  await page.waitForURL(/\/items$/);
  await page.getByRole('table').getByRole('link', { name }).waitFor();
}

/**
 * Builds webhook trigger → transform in the editor, saves, activates, and returns the webhook URL
 * the trigger's panel shows.
 */
export async function buildWebhookWorkflow(
  page: Page,
  opts: { name: string; expression: string },
): Promise<{ workflowId: string; webhookUrl: string }> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workflows' }).click();
  await page.getByRole('link', { name: 'New workflow' }).first().click();
  await page.waitForURL('**/workflows/new');

  await page.getByLabel('Workflow name').fill(opts.name);
  await page.getByTestId('trigger-node').click();
  await page.getByLabel('Trigger', { exact: true }).selectOption('webhook');
  await page.getByTestId('trigger-node').getByText('Trigger: webhook').waitFor();

  await page.getByRole('button', { name: 'Add transform step' }).click();
  // The new step is selected: its form is the inspector's.
  const inspector = page.getByRole('complementary', { name: 'Inspector' });
  await inspector.getByLabel('expression', { exact: true }).fill(opts.expression);

  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL(/\/workflows\/(?!new$)[^/]+$/);
  const workflowId = new URL(page.url()).pathname.split('/').pop() ?? '';

  // Saved workflows start inactive: their webhook answers 404 until activated.
  await page.getByRole('button', { name: 'Activate', exact: true }).click();
  await page.getByRole('button', { name: 'Deactivate', exact: true }).waitFor();

  await page.getByTestId('trigger-node').click();
  const url = inspector.getByLabel('Webhook URL');
  await url.waitFor();
  const webhookUrl = await url.inputValue();
  assert.match(webhookUrl, /^http:\/\/localhost:\d+\/hooks\/whk_/, 'the panel shows the full webhook URL');
  // The copy button puts the same URL on the clipboard (the test's context may read it).
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await inspector.getByRole('button', { name: 'Copy webhook URL' }).click();
  await page.getByText('Webhook URL copied.').waitFor();
  assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), webhookUrl);
  return { workflowId, webhookUrl };
}

/**
 * Finds the run in the Runs list, opens it, waits for it to succeed and opens the step's output.
 * Returns the output panel's text.
 */
export async function readRunOutput(page: Page, opts: { runId: string; stepId: string }): Promise<string> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).click();
  await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
  // Each row links to its run and names it by id.
  await page
    .getByRole('main')
    .getByRole('link', { name: new RegExp(opts.runId) })
    .click();
  await page.waitForURL(`**/runs/${opts.runId}`);

  // A worker runs it within moments; the page follows it live.
  await page.getByTestId('run-status').getByText('succeeded', { exact: true }).waitFor({ timeout: 30_000 });
  await page.getByText('The run succeeded.').waitFor();
  const step = page.getByTestId(`attempt-${opts.stepId}`);
  await step.getByText('succeeded', { exact: true }).waitFor();
  const toggle = step.getByRole('button', { name: 'Output', exact: true });
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  // The button names the panel it opened.
  const panel = page.locator(`[id="${await toggle.getAttribute('aria-controls')}"]`);
  await panel.getByText(`${opts.stepId} output`).waitFor();
  return panel.innerText();
}
