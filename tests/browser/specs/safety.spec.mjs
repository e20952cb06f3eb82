// Safety on a shared or watched computer: quick exit by button and by Shift×3
// (neutral page, history entry replaced, app locked), no framing, neutral titles.
import { test, expect } from '@playwright/test';
import { unlockedApp, unlock, openApp, cliJournal } from '../support/journal.mjs';
import { startApp } from '../support/app.mjs';
import { expectAccessible } from '../support/a11y.mjs';
import { lookAt } from '../support/look.mjs';

async function expectLockedAfterExit(page, app) {
  await expect(page).toHaveURL(`${app.origin}/exit`);
  await expect(page).toHaveTitle('Notes');
  await expect(page.locator('body')).not.toContainText('MyCase');
  // The app locked: opening it again asks for the passphrase.
  await page.goto(`${app.origin}/`);
  await expect(page.getByRole('heading', { name: 'Unlock' })).toBeVisible();
}

test('quick exit by the button replaces the page and locks', async ({ page }) => {
  const { app } = await unlockedApp(page);
  try {
    const before = await page.evaluate(() => history.length);
    await expectAccessible(page, 'home, unlocked');
    await lookAt(page, 'home');
    await page.getByRole('link', { name: 'Exit this page' }).click();
    await expectLockedAfterExit(page, app);
    // location.replace: the exit did not add a history entry to go back through.
    expect(await page.evaluate(() => history.length)).toBeLessThanOrEqual(before + 1);
  } finally {
    await app.stop();
  }
});

test('quick exit by pressing Shift three times', async ({ page }) => {
  const { app } = await unlockedApp(page);
  try {
    await page.keyboard.press('Shift');
    await page.keyboard.press('Shift');
    await page.keyboard.press('Shift');
    await expectLockedAfterExit(page, app);
  } finally {
    await app.stop();
  }
});

test('Shift pressed with other keys between does not exit', async ({ page }) => {
  const { app } = await unlockedApp(page);
  try {
    await page.keyboard.press('Shift');
    await page.keyboard.press('a');
    await page.keyboard.press('Shift');
    await page.keyboard.press('Shift+A');
    await page.keyboard.press('Shift');
    await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();
    expect(new URL(page.url()).pathname).not.toBe('/exit');
  } finally {
    await app.stop();
  }
});

test('the unlock page: wrong passphrase, then right, accessible; lock now', async ({ page }) => {
  const journal = await cliJournal();
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await expectAccessible(page, 'unlock');
    await lookAt(page, 'unlock');
    await unlock(page, 'not the passphrase');
    await expect(page.locator('.error-summary')).toBeVisible();
    await expect(page).toHaveTitle(/^Error: /);
    await expectAccessible(page, 'unlock with an error');
    await lookAt(page, 'unlock-error');
    await unlock(page);
    await page.getByRole('button', { name: 'Lock now' }).click();
    await expect(page.getByRole('heading', { name: 'Unlock' })).toBeVisible();
  } finally {
    await app.stop();
  }
});

test('another site cannot frame the app', async ({ page, context }) => {
  const { app } = await unlockedApp(page);
  try {
    const attacker = await context.newPage();
    await attacker.setContent(`<iframe id="f" src="${app.origin}/" width="800" height="600"></iframe>`);
    const frame = attacker.frameLocator('#f');
    // Refused by frame-ancestors 'none' and X-Frame-Options: nothing of the app renders.
    await attacker.waitForTimeout(0);
    await expect(frame.locator('body')).not.toContainText('Lock now', { timeout: 3000 });
    const child = attacker.frames().find((f) => f !== attacker.mainFrame());
    if (child) {
      expect(await child.locator('.quick-exit').count()).toBe(0);
    }
  } finally {
    await app.stop();
  }
});

test('the safety page says the words and nothing else', async ({ page }) => {
  const { app } = await unlockedApp(page);
  try {
    await page.getByRole('link', { name: /safety/i }).first().click();
    await expect(page.locator('main')).toContainText('999');
    await expect(page.locator('main')).toContainText('999 Silent Solution');
    await expect(page.locator('main')).toContainText('history and downloads may show that MyCase was used');
    await expect(page.locator('main')).toContainText('101');
    await expectAccessible(page, 'safety');
    await lookAt(page, 'safety');
  } finally {
    await app.stop();
  }
});
