// First run, sharing, devices and settings in a browser: create a journal with
// the kit shown once (and its print view), share entries and open the link in a
// separate browser context, pair the CLI as a second device and revoke it,
// settings and wipe. axe on every page and state; screenshots at 1280 and 390 px.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { env, freshDir } from '../support/env.mjs';
import { mycase, spawnMycase, PASS } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { cliJournal, openApp, unlock } from '../support/journal.mjs';
import { expectAccessible } from '../support/a11y.mjs';
import { lookAt, fitsWidth } from '../support/look.mjs';

/// Looks at the page: no axe violation, fits 390 px, screenshots.
async function check(page, name) {
  // As the page first shows (a field filled lower down scrolls the header half out).
  await page.evaluate(() => window.scrollTo(0, 0));
  await expectAccessible(page, name);
  await page.setViewportSize({ width: 390, height: 900 });
  expect(await fitsWidth(page), `${name} fits 390 px`).toBe(true);
  await page.setViewportSize({ width: 1280, height: 900 });
  await lookAt(page, name);
}

test('first run: a new journal, the kit shown once with a print view', async ({ page }) => {
  const home = path.join(freshDir('first-run'), 'home');
  const app = await startApp(home);
  try {
    await openApp(page, app);
    await page.getByRole('link', { name: 'Set up MyCase' }).click();
    await expect(page.getByRole('heading', { name: 'Set up MyCase on this computer' })).toBeVisible();
    await check(page, 'setup');
    await page.getByRole('link', { name: 'Start a new journal' }).click();
    await check(page, 'setup-create');

    await page.getByLabel("The server's address").fill(env.serverUrl);
    await page.getByLabel('A name for this computer').fill('laptop');
    await page.getByLabel('Choose a passphrase').fill(PASS);
    await page.getByLabel('The passphrase again').fill('not the same');
    await page.getByRole('button', { name: 'Start the journal' }).click();
    await expect(page.locator('[data-error-summary]')).toBeFocused();
    await expect(page.locator('.error-summary')).toContainText('not the same');
    await check(page, 'setup-create-error');

    await page.getByLabel('Or the certificate\'s file').setInputFiles(env.caCert);
    await page.getByLabel('Choose a passphrase').fill(PASS);
    await page.getByLabel('The passphrase again').fill(PASS);
    await page.getByRole('button', { name: 'Start the journal' }).click();
    await expect(page.getByRole('heading', { name: 'Your recovery kit' })).toBeVisible();
    const kit = (await page.locator('#recovery-kit').textContent()).trim();
    expect(kit.length).toBeGreaterThan(20);
    await check(page, 'setup-kit');
    await page.emulateMedia({ media: 'print' });
    await expect(page.getByRole('button', { name: 'Print it' })).toBeHidden();
    await expect(page.locator('#recovery-kit')).toBeVisible();
    await page.screenshot({ path: path.join(env.screenshots, 'setup-kit-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.locator('.error-summary')).toContainText('tick the box');
    await page.getByLabel('I have written it down').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();
    // Nothing on the way carried the kit or the journal in an address.
    await expect(page).toHaveURL(`${app.origin}/`);
  } finally {
    await app.stop();
  }
});

test('share entries, open the link in another browser, see the view, revoke', async ({ page, browser }) => {
  const journal = await cliJournal('share');
  await mycase(journal.home, ['add', '--title', 'Kitchen', '--text', 'SHARED-IN-BROWSER']);
  await mycase(journal.home, ['add', '--title', 'Hallway', '--text', 'NOT-SHARED-IN-BROWSER']);
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Sharing', exact: true }).click();
    await check(page, 'shares-empty');
    await page.getByRole('link', { name: 'Share entries' }).click();
    await page.getByRole('button', { name: 'Create the link' }).click();
    await expect(page.locator('.error-summary')).toContainText('Choose at least one entry');
    await check(page, 'share-new-error');

    await page.getByLabel(/Kitchen/).check();
    await page.getByLabel('7 days').check();
    await page.getByLabel('How many times may it be opened? (optional)').fill('2');
    await check(page, 'share-new');
    await page.getByRole('button', { name: 'Create the link' }).click();
    await expect(page.getByRole('heading', { name: 'Your share link' })).toBeVisible();
    const link = (await page.locator('#share-link').inputValue()).trim();
    expect(link).toContain('/s/');
    expect(page.url()).not.toContain('/s/');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.origin });
    await page.getByRole('button', { name: 'Copy the link' }).click();
    await expect(page.locator('#copy-status')).toHaveText(/copied|Select the link/);
    await check(page, 'share-link');

    // The advocate: another browser, no account, the server's own viewer.
    const advocate = await browser.newContext({ ignoreHTTPSErrors: true });
    const viewer = await advocate.newPage();
    await viewer.goto(link);
    await expect(viewer.locator('body')).toContainText('SHARED-IN-BROWSER', { timeout: 30_000 });
    await expect(viewer.locator('body')).not.toContainText('NOT-SHARED-IN-BROWSER');
    await advocate.close();

    await page.getByRole('link', { name: 'Back to your shares' }).click();
    await expect(page.locator('.card')).toContainText('1 of 2');
    await check(page, 'shares');
    await page.getByRole('link', { name: /^Revoke/ }).click();
    await check(page, 'share-revoke');
    await page.getByRole('button', { name: 'Revoke the share' }).click();
    await expect(page.locator('.card')).toContainText('Revoked');
  } finally {
    await app.stop();
  }
});

test('add a device with the pairing code (the CLI joins), a wrong code refused, then revoke it', async ({ page }) => {
  const journal = await cliJournal('pairing');
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await check(page, 'devices');

    const pairOnce = async (name) => {
      await page.getByRole('button', { name: 'Add a phone or computer' }).click();
      await expect(page.getByRole('img', { name: 'The pairing code as a QR code' })).toBeVisible();
      const code = (await page.locator('.pairing-code').textContent()).trim();
      const phoneHome = path.join(freshDir(name), 'home');
      const joining = spawnMycase(phoneHome, ['join', '--server', env.serverUrl, '--ca-cert', env.caCert, '--code', code, '--device-name', name, '--json']);
      await page.getByRole('button', { name: 'I have typed the code on the new device' }).click();
      await expect(page.getByRole('heading', { name: 'Confirm the new device' })).toBeVisible();
      const { matching_code: digits } = JSON.parse(await joining.line((l) => l.includes('matching_code'), 120_000));
      return { joining, digits };
    };

    // Wrong digits: not added, and the joining device is told.
    const first = await pairOnce('stranger');
    await check(page, 'device-confirm');
    await page.getByLabel('The six digits the new device shows').fill(first.digits === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Add the device' }).click();
    await expect(page.getByRole('heading', { name: 'The device was not added' })).toBeVisible();
    await check(page, 'device-not-added');
    expect(await first.joining.exited).not.toBe(0);

    await page.getByRole('link', { name: 'Back to devices' }).click();
    const second = await pairOnce('phone');
    await lookAt(page, 'device-confirm-phone');
    await page.getByLabel('The six digits the new device shows').fill(second.digits);
    await page.getByRole('button', { name: 'Add the device' }).click();
    await expect(page.getByText('“phone” was added')).toBeVisible();
    expect(await second.joining.exited).toBe(0);
    await page.getByRole('link', { name: 'Back to devices' }).click();
    await expect(page.locator('.card')).toHaveCount(2);
    await check(page, 'devices-two');

    await page.getByRole('link', { name: 'Revoke phone' }).click();
    await check(page, 'device-revoke');
    await page.getByRole('button', { name: 'Revoke the device' }).click();
    await expect(page.getByRole('heading', { name: '“phone” is revoked' })).toBeVisible();
    await check(page, 'device-revoked');
  } finally {
    await app.stop();
  }
});

test('the pairing page shows the code as a QR code', async ({ page }) => {
  const journal = await cliJournal('qr');
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByRole('button', { name: 'Add a phone or computer' }).click();
    await check(page, 'device-pairing');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('heading', { name: 'Devices' })).toBeVisible();
  } finally {
    await app.stop();
  }
});

test('settings: idle lock time, passphrase change, and wiping this computer', async ({ page }) => {
  const journal = await cliJournal('settings');
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await check(page, 'settings');
    await page.getByLabel('Lock after this many minutes without use').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.locator('.error-summary')).toBeVisible();
    await check(page, 'settings-error');
    await page.getByLabel('Lock after this many minutes without use').fill('10');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByText('after 10 minutes')).toBeVisible();

    await page.getByRole('link', { name: 'Change your passphrase' }).click();
    await check(page, 'settings-passphrase');
    await page.getByLabel('Your passphrase now').fill(PASS);
    await page.getByLabel('New passphrase', { exact: true }).fill('a new passphrase');
    await page.getByLabel('The new passphrase again').fill('a new passphrase');
    await page.getByRole('button', { name: 'Change the passphrase' }).click();
    await expect(page.getByRole('heading', { name: 'Your passphrase is changed' })).toBeVisible();
    await check(page, 'settings-passphrase-done');

    for (const [link, name] of [['Make a new recovery kit', 'settings-kit'], ['Delete your whole journal', 'settings-delete']]) {
      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      await page.getByRole('link', { name: link }).click();
      await check(page, name);
    }

    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByRole('link', { name: 'Erase MyCase from this computer' }).click();
    await check(page, 'settings-wipe');
    await page.getByRole('button', { name: 'Erase MyCase from this computer' }).click();
    await expect(page.locator('.error-summary')).toContainText('Tick the box');
    await page.getByLabel('Yes, erase MyCase from this computer').check();
    await page.getByRole('button', { name: 'Erase MyCase from this computer' }).click();
    await expect(page.getByRole('heading', { name: 'MyCase is erased from this computer' })).toBeVisible();
    await check(page, 'erased');
    expect(fs.existsSync(journal.home)).toBe(false);
  } finally {
    await app.stop();
  }
});
