// A clash of edits: the title changed on the phone (the CLI) and, before the
// app had heard of it, in the app; the entry page shows both versions (axe and
// screenshots on that state), the survivor keeps one with the keyboard alone,
// and the phone hears that it is settled.
import { test, expect } from '@playwright/test';
import { mycase, mycaseJson } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { cliJournal, openApp, unlock } from '../support/journal.mjs';
import { pairCli } from '../support/devices.mjs';
import { checkPage } from '../support/check.mjs';

test('a clash of edits is shown with both versions and settled with the keyboard', async ({ page }) => {
  const journal = await cliJournal('clash');
  await mycase(journal.home, ['add', '--title', 'Kitchen', '--text', 'He shouted', '--when', '3 March 2026']);
  const phone = await pairCli(journal.home, 'phone');
  await mycase(phone, ['sync']);
  const [onPhone] = await mycaseJson(phone, ['list']);
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await unlock(page);

    // The phone changes the title and keeps it to itself for now.
    await mycase(phone, ['amend', onPhone.id, '--title', 'Title from the phone']);
    // The app changes it too, not having heard of the phone's change.
    await page.getByRole('link', { name: 'Timeline', exact: true }).click();
    await page.getByRole('link', { name: 'Kitchen' }).click();
    await page.getByRole('link', { name: 'Change this entry' }).click();
    await page.getByLabel('Title (optional)').fill('Title from the laptop');
    await page.getByRole('button', { name: 'Save the change' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Title from the laptop' })).toBeVisible();

    // The phone syncs: the app shows the clash with both versions.
    await mycase(phone, ['sync']);
    const choose = page.getByRole('heading', { name: 'Choose which version to keep' });
    await expect(async () => {
      await page.reload();
      await expect(choose).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 60_000 });
    const phoneVersion = page.getByRole('radio', { name: /Title from the phone/ });
    await expect(phoneVersion).toBeVisible();
    await expect(page.getByRole('radio', { name: /Title from the laptop/ })).toBeVisible();
    await checkPage(page, 'entry-conflict');

    // Settled with the keyboard: choose, move to the button, press it.
    await phoneVersion.focus();
    await page.keyboard.press('Space');
    await expect(phoneVersion).toBeChecked();
    await page.keyboard.press('Tab');
    await expect(page.getByRole('button', { name: 'Keep this version' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { level: 1, name: 'Title from the phone' })).toBeVisible();
    await expect(choose).toHaveCount(0);
    await checkPage(page, 'entry-settled');

    // The phone hears that it is settled.
    await expect.poll(async () => {
      await mycase(phone, ['sync']);
      const shown = await mycaseJson(phone, ['show', onPhone.id]);
      return [shown.title, (await mycaseJson(phone, ['conflicts'])).length];
    }, { timeout: 60_000 }).toEqual(['Title from the phone', 0]);
  } finally {
    await app.stop();
  }
});
