// The frame's own behaviour in a browser, beside safety.spec.mjs (quick exit,
// unlock, framing, the safety page): the page `mycase app` opens the browser
// with, a copied link, the wait after wrong tries, the keyboard order, the live
// sync indicator, widths, and the idle lock keeping a half-written form.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { PASS } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { freshDir } from '../support/env.mjs';
import { cliJournal, openApp } from '../support/journal.mjs';
import { expectAccessible } from '../support/a11y.mjs';
import { lookAt, fitsWidth } from '../support/look.mjs';

/// Submits the unlock form and waits for the server's answer to it.
async function submitPassphrase(page, passphrase) {
  await page.getByLabel('Passphrase').fill(passphrase);
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/unlock');
  await page.getByRole('button', { name: 'Unlock' }).click();
  return (await answered).status();
}

/// Unlocks, waiting out the App's pause after wrong tries as the page says to.
async function unlockWaiting(page) {
  for (let tries = 0; tries < 30; tries++) {
    const status = await submitPassphrase(page, PASS);
    if (status === 303) break;
    expect(status).toBe(429);
    await expect(page.locator('.error-message')).toContainText('seconds, then try again');
    await page.waitForTimeout(1000);
  }
  await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();
}

test('the page mycase app opens the browser with (a local file) signs in', async ({ page }) => {
  const app = await startApp((await cliJournal('launch')).home);
  try {
    // What `mycase app` writes to an owner-only folder and hands the browser.
    const launch = path.join(freshDir('launch'), 'app-launch.html');
    fs.writeFileSync(launch, `<!DOCTYPE html><meta charset="utf-8"><title>Notes</title><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${app.url}">`);
    await page.goto(`file://${launch}`);
    await expect(page).toHaveURL(`${app.origin}/unlock`);
    await unlockWaiting(page);
  } finally {
    await app.stop();
  }
});

test('a copy of the link in another browser opens nothing', async ({ browser, page }) => {
  const app = await startApp((await cliJournal('copied')).home);
  try {
    await openApp(page, app);
    const other = await browser.newContext();
    const stranger = await other.newPage();
    await stranger.goto(app.url);
    await expect(stranger.getByRole('heading')).toContainText('cannot be opened here');
    await expect(stranger.locator('main')).toContainText('already been used');
    await expectAccessible(stranger, 'the refusal');
    await lookAt(stranger, 'refused');
    await other.close();
  } finally {
    await app.stop();
  }
});

test('keyboard order, the wait after wrong tries, the live sync indicator, widths', async ({ page }) => {
  const app = await startApp((await cliJournal('frame')).home);
  try {
    await openApp(page, app);
    // The keyboard reaches the skip link first, then quick exit.
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to main content' })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Exit this page' })).toBeFocused();

    expect(await submitPassphrase(page, 'not the passphrase')).toBe(422);
    await expect(page.locator('[data-error-summary]')).toBeFocused();
    await unlockWaiting(page);

    // The live events move the indicator once the background sync has run.
    await expect(page.locator('#sync-status')).toHaveText('Up to date');
    await expect(page.locator('#sync-status')).toHaveAttribute('data-state', 'up-to-date');
    // A phone's width, and 200% zoom on a laptop (half the CSS pixels): no sideways scrolling.
    for (const width of [390, 640, 1280]) {
      await page.setViewportSize({ width, height: 800 });
      expect(await fitsWidth(page), `${width} px`).toBe(true);
    }
  } finally {
    await app.stop();
  }
});

test('idle lock: the page saves a half-written form, locks, and the draft is there after unlocking', async ({ page }) => {
  const { home } = await cliJournal('idle');
  // The shortest idle time the app allows, so the test waits one minute, not five.
  fs.writeFileSync(path.join(home, 'app-settings.json'), JSON.stringify({ idle_lock_minutes: 1 }));
  const app = await startApp(home);
  try {
    await openApp(page, app);
    await unlockWaiting(page);
    await expect(page.locator('body')).toHaveAttribute('data-idle-minutes', '1');
    // A form marked data-draft, as a feature page marks its entry form (the frame has none).
    await page.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = '/';
      form.dataset.draft = 'entry';
      form.innerHTML = '<label for="t">Title</label><input id="t" name="title">'
        + '<label for="p">Passphrase</label><input id="p" name="secret" type="password">';
      document.querySelector('main').appendChild(form);
    });
    const saved = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/draft');
    await page.getByLabel('Passphrase').fill('never-saved');
    await page.getByLabel('Title').fill('half-written');
    const body = (await saved).postData();
    expect(body).toContain('title=half-written');
    expect(body).not.toContain('never-saved');

    // Nobody touches the page: it locks by itself and moves to the unlock page.
    await expect(page).toHaveURL(`${app.origin}/unlock`, { timeout: 90_000 });
    await unlockWaiting(page);
    const draft = await page.evaluate(async () => (await fetch('/draft', { headers: { Accept: 'application/json' } })).json());
    expect(draft.draft.form).toBe('entry');
    expect(draft.draft.fields).toEqual([['title', 'half-written']]);
  } finally {
    await app.stop();
  }
});
