// A share's whole life, beside sharing.spec.mjs (which covers the form's errors
// and the first view): the copied link is the link, each opening in another
// browser is counted, and after revoking the same link in the same browser
// shows nothing of the journal.
import { test, expect } from '@playwright/test';
import { mycase } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { cliJournal, openApp, unlock } from '../support/journal.mjs';
import { checkPage } from '../support/check.mjs';

test('the copied link opens in another browser, its views counted; revoked, the link ends', async ({ page, browser }) => {
  const journal = await cliJournal('share-life');
  await mycase(journal.home, ['add', '--title', 'Garage', '--text', 'SHARE-LIFE-MARKER in the garage']);
  const app = await startApp(journal.home);
  const advocate = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Sharing', exact: true }).click();
    await page.getByRole('link', { name: 'Share entries' }).click();
    await page.getByLabel(/Garage/).check();
    await page.getByLabel('7 days').check();
    await page.getByRole('button', { name: 'Create the link' }).click();
    await expect(page.getByRole('heading', { name: 'Your share link' })).toBeVisible();
    const link = (await page.locator('#share-link').inputValue()).trim();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.origin });
    await page.getByRole('button', { name: 'Copy the link' }).click();
    await expect(page.locator('#copy-status')).toHaveText(/copied/i);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);

    // Two openings, each a new tab (the same address again would only move to its #fragment).
    for (let opening = 1; opening <= 2; opening++) {
      const tab = await advocate.newPage();
      await tab.goto(link);
      await expect(tab.locator('body')).toContainText('SHARE-LIFE-MARKER', { timeout: 30_000 });
      await tab.close();
    }
    await page.getByRole('link', { name: 'Back to your shares' }).click();
    const card = page.locator('.card', { hasText: 'Garage' }).or(page.locator('.card').first());
    await expect(card.locator('.summary-list__row', { hasText: 'Times opened' })).toContainText('2');
    // Each opening is listed with its time.
    await expect(card.locator('.summary-list__row', { hasText: 'When it was opened' }).locator('li')).toHaveCount(2);
    await checkPage(page, 'shares-viewed');

    await page.getByRole('link', { name: /^Revoke/ }).click();
    await page.getByRole('button', { name: 'Revoke the share' }).click();
    await expect(page.locator('.card')).toContainText('Revoked');
    await checkPage(page, 'shares-revoked');

    // The link the advocate holds now ends: no entry, not even cached in the page.
    const viewer = await advocate.newPage();
    await viewer.goto(link);
    await expect(viewer.locator('body')).not.toContainText('SHARE-LIFE-MARKER');
    await expect(viewer.locator('body')).toContainText(/revoked|no longer|ended|not available/i);
  } finally {
    await advocate.close();
    await app.stop();
  }
});
