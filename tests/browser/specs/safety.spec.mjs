// Safety on a shared or watched computer, beside frame.spec.mjs's quick exit:
// Shift among other keys is typing, not an exit; no framing; the safety words.
import { test, expect } from '@playwright/test';
import { unlockedApp } from '../support/journal.mjs';
import { expectAccessible } from '../support/a11y.mjs';
import { lookAt } from '../support/look.mjs';

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
