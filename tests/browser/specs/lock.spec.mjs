// Locking on the real record form, beside frame.spec.mjs's mechanism test: a
// half-written entry survives the idle lock and is offered back after unlocking
// (the page's clock is moved on, so the test does not wait the minute); and a
// passphrase change, after which only the new passphrase unlocks.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { mycaseJson, PASS } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { cliJournal, openApp, unlock } from '../support/journal.mjs';
import { checkPage } from '../support/check.mjs';

/// Submits the unlock form with PASSPHRASE; the server's status for it.
async function tryUnlock(page, passphrase) {
  await page.getByLabel('Passphrase').fill(passphrase);
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/unlock');
  await page.getByRole('button', { name: 'Unlock' }).click();
  return (await answered).status();
}

test('the idle lock keeps a half-written entry, offered back after unlocking', async ({ page }) => {
  const journal = await cliJournal('idle-record');
  fs.writeFileSync(path.join(journal.home, 'app-settings.json'), JSON.stringify({ idle_lock_minutes: 1 }));
  const app = await startApp(journal.home);
  try {
    await page.clock.install();
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Record', exact: true }).click();
    await page.getByLabel('Title (optional)').fill('Half-written on the bus');
    await page.getByLabel('What happened').fill('He followed me from the station');
    await page.getByLabel('On a day').check();
    await page.getByRole('textbox', { name: 'Day', exact: true }).fill('5');
    await page.getByRole('textbox', { name: 'Month', exact: true }).fill('3');
    await page.getByRole('textbox', { name: 'Year', exact: true }).fill('2026');
    await page.locator('input[name=categories]').nth(1).check();
    await page.getByLabel('3', { exact: true }).check();
    const saved = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/draft');
    await page.clock.runFor(5_000);
    expect((await saved).postData()).toContain('Half-written');

    // Nobody touches it for the idle time: locked, on the unlock page.
    await page.clock.fastForward('01:05');
    await expect(page).toHaveURL(`${app.origin}/unlock`);
    await expect(page.locator('body')).not.toContainText('He followed me');
    await unlock(page);
    await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();
    await page.getByRole('link', { name: 'Record', exact: true }).click();
    const offer = page.locator('#draft-offer');
    await expect(offer).toBeVisible();
    await checkPage(page, 'record-draft-offer');
    await page.getByRole('button', { name: 'Put it back' }).click();
    await expect(offer).toBeHidden();
    await expect(page.getByLabel('Title (optional)')).toHaveValue('Half-written on the bus');
    await expect(page.getByLabel('What happened')).toHaveValue('He followed me from the station');
    await expect(page.locator('input[name=categories]').nth(1)).toBeChecked();
    await expect(page.getByLabel('3', { exact: true })).toBeChecked();
    await expect(page.getByRole('textbox', { name: 'Day', exact: true })).toHaveValue('5');
    await expect(page.getByRole('textbox', { name: 'Year', exact: true })).toHaveValue('2026');
    await page.getByRole('button', { name: 'Save the entry' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Half-written on the bus' })).toBeVisible();
    // Saved, the draft is gone: the form is offered empty.
    await page.getByRole('link', { name: 'Record', exact: true }).click();
    await expect(page.getByLabel('Title (optional)')).toHaveValue('');
    await page.clock.runFor(2_000);
    await expect(offer).toBeHidden();
  } finally {
    await app.stop();
  }
});

test('after a passphrase change only the new passphrase unlocks', async ({ page }) => {
  const journal = await cliJournal('new-passphrase');
  const app = await startApp(journal.home);
  const fresh = 'a different passphrase, long enough';
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('link', { name: 'Change your passphrase' }).click();
    await page.getByLabel('Your passphrase now').fill('not the passphrase');
    await page.getByLabel('New passphrase', { exact: true }).fill(fresh);
    await page.getByLabel('The new passphrase again').fill(fresh);
    await page.getByRole('button', { name: 'Change the passphrase' }).click();
    await expect(page.locator('[data-error-summary]')).toBeVisible();
    await checkPage(page, 'settings-passphrase-error');
    await page.getByLabel('Your passphrase now').fill(PASS);
    await page.getByLabel('New passphrase', { exact: true }).fill(fresh);
    await page.getByLabel('The new passphrase again').fill(fresh);
    await page.getByRole('button', { name: 'Change the passphrase' }).click();
    await expect(page.getByRole('heading', { name: 'Your passphrase is changed' })).toBeVisible();

    await page.getByRole('button', { name: 'Lock now' }).click();
    await expect(page).toHaveURL(`${app.origin}/unlock`);
    expect(await tryUnlock(page, fresh)).toBe(303);
    await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();
    await page.getByRole('button', { name: 'Lock now' }).click();
    expect(await tryUnlock(page, PASS)).toBe(422);
  } finally {
    await app.stop();
  }
  // The CLI on the same home agrees: the old passphrase no longer opens it.
  await expect(mycaseJson(journal.home, ['list'])).rejects.toThrow();
  expect((await mycaseJson(journal.home, ['list'], { MYCASE_PASSPHRASE: fresh })).length).toBe(0);
});
