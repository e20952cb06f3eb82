// Devices from the app, beside sharing.spec.mjs (which covers a wrong matching
// code and the pages' looks): a CLI device paired from the app with the code
// and QR code shown; a device that device adds in turn is announced in the
// open app by a banner; revoked from the app, the CLI device erases itself on
// its next command.
import fs from 'node:fs';
import { test, expect } from '@playwright/test';
import { mycase, mycaseJson } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { cliJournal, openApp, unlock } from '../support/journal.mjs';
import { startJoin, pairCli } from '../support/devices.mjs';
import { checkPage } from '../support/check.mjs';

test('pair the CLI from the app, a device it adds is announced, revoked it erases itself', async ({ page }) => {
  const journal = await cliJournal('devices');
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByRole('button', { name: 'Add a phone or computer' }).click();
    const qr = page.getByRole('img', { name: 'The pairing code as a QR code' });
    await expect(qr).toBeVisible();
    expect((await qr.boundingBox()).width).toBeGreaterThan(100);
    await checkPage(page, 'device-pairing-live');
    const code = (await page.locator('.pairing-code').textContent()).trim();
    expect(code.length).toBeGreaterThan(8);
    const joining = startJoin(code, 'phone');
    await page.getByRole('button', { name: 'I have typed the code on the new device' }).click();
    await expect(page.getByRole('heading', { name: 'Confirm the new device' })).toBeVisible({ timeout: 60_000 });
    await checkPage(page, 'device-confirm-live');
    await page.getByLabel('The six digits the new device shows').fill(await joining.digits());
    await page.getByRole('button', { name: 'Add the device' }).click();
    await expect(page.getByText('“phone” was added')).toBeVisible({ timeout: 60_000 });
    await checkPage(page, 'device-added');
    const phone = await joining.joined();
    const onPhone = await mycaseJson(phone, ['devices']);
    expect(JSON.stringify(onPhone)).toContain('phone');

    // The phone adds a tablet: the open app is told, without a reload.
    await page.getByRole('link', { name: 'Back to devices' }).click();
    await page.evaluate(() => { window.notReloaded = true; });
    await mycase(phone, ['sync']);
    await pairCli(phone, 'tablet');
    const banner = page.locator('#notices .notification-banner');
    await expect(banner).toContainText('tablet', { timeout: 60_000 });
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
    await checkPage(page, 'devices-new-device-banner');
    // Still there on the next page until hidden, from the live banner or the page's own.
    await page.reload();
    await expect(banner).toContainText('tablet');
    await pairCli(phone, 'laptop two');
    const live = page.locator('#notices .notification-banner', { hasText: 'laptop two' });
    await expect(live).toBeVisible({ timeout: 60_000 });
    await live.getByRole('button', { name: 'Hide this message' }).click();
    await expect(banner).toHaveCount(0);
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Devices', exact: true })).toBeVisible();
    await expect(banner).toHaveCount(0);
    await expect(page.locator('.card')).toHaveCount(4);
    await page.getByRole('link', { name: 'Revoke phone' }).click();
    await checkPage(page, 'device-revoke-live');
    await page.getByRole('button', { name: 'Revoke the device' }).click();
    await expect(page.getByRole('heading', { name: '“phone” is revoked' })).toBeVisible();
    await checkPage(page, 'device-revoked-live');

    // The phone's next command meets the signed revocation and erases the phone.
    await expect(mycase(phone, ['sync'])).rejects.toThrow(/removed from this device/);
    const left = fs.existsSync(phone) ? fs.readdirSync(phone) : [];
    expect(left.filter((name) => !name.startsWith('leftovers')), `left in the phone's home: ${left}`).toEqual([]);
    await expect(mycase(phone, ['list'])).rejects.toThrow();
  } finally {
    await app.stop();
  }
});

test('digits that do not match end a pairing from the app and add nothing', async ({ page }) => {
  const journal = await cliJournal('devices-wrong');
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    await page.getByRole('button', { name: 'Add a phone or computer' }).click();
    const code = (await page.locator('.pairing-code').textContent()).trim();
    const joining = startJoin(code, 'stranger');
    await page.getByRole('button', { name: 'I have typed the code on the new device' }).click();
    await expect(page.getByRole('heading', { name: 'Confirm the new device' })).toBeVisible({ timeout: 60_000 });
    const shown = (await joining.digits()).replace(/\D/g, '');
    await page.getByLabel('The six digits the new device shows').fill(shown === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Add the device' }).click();
    await expect(page.getByRole('heading', { name: 'The device was not added' })).toBeVisible({ timeout: 60_000 });
    await checkPage(page, 'device-pairing-ended');
    await expect(joining.joined()).rejects.toThrow(/mycase join failed/);
    await page.getByRole('link', { name: 'Back to devices' }).click();
    await expect(page.locator('.card')).toHaveCount(1);
  } finally {
    await app.stop();
  }
});
