// The frame's own behaviour in a browser (safety.spec.mjs has Shift among other
// keys, framing and the safety words): quick exit by button and by Shift x3,
// unlock and lock now, the page `mycase app` opens the browser with, a copied
// link, the keyboard order, the live sync indicator,
// widths, and the idle lock keeping a half-written form.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { PASS } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { freshDir } from '../support/env.mjs';
import { cliJournal, openApp, unlockedApp } from '../support/journal.mjs';
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

/// Quick exit happened: the neutral page, and the app locked.
async function expectLockedAfterExit(page, app) {
  await expect(page).toHaveURL(`${app.origin}/exit`);
  await expect(page).toHaveTitle('Notes');
  await expect(page.locator('body')).not.toContainText('MyCase');
  await page.goto(`${app.origin}/`);
  await expect(page).toHaveURL(`${app.origin}/unlock`);
}

test('quick exit by the button replaces the page (no history entry) and locks', async ({ page }) => {
  const { app } = await unlockedApp(page);
  try {
    await expectAccessible(page, 'home, unlocked');
    await lookAt(page, 'home');
    const before = await page.evaluate(() => history.length);
    await page.getByRole('link', { name: 'Exit this page' }).click();
    await expect(page).toHaveURL(`${app.origin}/exit`);
    expect(await page.evaluate(() => history.length)).toBe(before);
    await expectAccessible(page, 'the neutral page');
    await lookAt(page, 'exit');
    await expectLockedAfterExit(page, app);
  } finally {
    await app.stop();
  }
});

test('quick exit by pressing Shift three times', async ({ page }) => {
  const { app } = await unlockedApp(page);
  try {
    const before = await page.evaluate(() => history.length);
    await page.keyboard.press('Shift');
    await page.keyboard.press('Shift');
    await page.keyboard.press('Shift');
    await expect(page).toHaveURL(`${app.origin}/exit`);
    expect(await page.evaluate(() => history.length)).toBe(before);
    await expectLockedAfterExit(page, app);
  } finally {
    await app.stop();
  }
});

test('the unlock page: a wrong passphrase shown in place, then right; lock now', async ({ page }) => {
  const app = await startApp((await cliJournal('unlock')).home);
  try {
    await openApp(page, app);
    await expect(page).toHaveTitle('Unlock – Notes');
    await expectAccessible(page, 'unlock');
    await lookAt(page, 'unlock');
    expect(await submitPassphrase(page, 'not the passphrase')).toBe(422);
    await expect(page.locator('[data-error-summary]')).toBeFocused();
    await expect(page).toHaveTitle('Error: Unlock – Notes');
    await expectAccessible(page, 'unlock with an error');
    await lookAt(page, 'unlock-error');
    // Wrong again and again: after the free tries the page asks to wait (429),
    // in place, with the time to wait.
    let status = 422;
    for (let tries = 0; tries < 8 && status !== 429; tries++) {
      status = await submitPassphrase(page, 'not the passphrase');
    }
    expect(status).toBe(429);
    await expect(page.locator('.error-message')).toContainText('seconds, then try again');
    await expectAccessible(page, 'unlock, asked to wait');
    await lookAt(page, 'unlock-wait');
    await unlockWaiting(page);
    await page.getByRole('button', { name: 'Lock now' }).click();
    await expect(page).toHaveURL(`${app.origin}/unlock`);
    await expect(page.getByRole('button', { name: 'Lock now' })).toHaveCount(0);
  } finally {
    await app.stop();
  }
});

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

test('keyboard order, the live sync indicator, widths', async ({ page }) => {
  const app = await startApp((await cliJournal('frame')).home);
  try {
    await openApp(page, app);
    // The keyboard reaches the skip link first, then quick exit.
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to main content' })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Exit this page' })).toBeFocused();

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

test('idle lock: the page saves a half-written form, locks, and offers it back after unlocking', async ({ page }) => {
  const { home } = await cliJournal('idle');
  // The shortest idle time the app allows, so the test waits one minute, not five.
  fs.writeFileSync(path.join(home, 'app-settings.json'), JSON.stringify({ idle_lock_minutes: 1 }));
  const app = await startApp(home);
  try {
    // The start page with a form marked data-draft, as a feature page marks its
    // entry form (the frame has none of its own); the app's own headers stay.
    await page.route(`${app.origin}/`, async (route) => {
      const response = await route.fetch();
      const form = '<form method="post" action="/" data-draft="entry">'
        + '<label class="label" for="t">Title</label><input class="input" id="t" name="title">'
        + '<label class="label" for="p">Passphrase</label><input class="input" id="p" name="secret" type="password">'
        + '</form>';
      await route.fulfill({ response, body: (await response.text()).replace('</main>', `${form}</main>`) });
    });
    await openApp(page, app);
    await unlockWaiting(page);
    await expect(page.locator('body')).toHaveAttribute('data-idle-minutes', '1');
    const saved = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/draft');
    await page.getByLabel('Passphrase').fill('never-saved');
    await page.getByLabel('Title').fill('half-written');
    const body = (await saved).postData();
    expect(body).toContain('title=half-written');
    expect(body).not.toContain('never-saved');

    // Nobody touches the page: it locks by itself and moves to the unlock page.
    await expect(page).toHaveURL(`${app.origin}/unlock`, { timeout: 90_000 });
    await unlockWaiting(page);
    // Back on the form's page, the writing is offered back, never the passphrase.
    const offer = page.getByRole('region', { name: 'Unfinished writing' });
    await expect(offer).toBeVisible();
    await expectAccessible(page, 'the draft offered back');
    await lookAt(page, 'draft-offer');
    await offer.getByRole('button', { name: 'Put it back' }).click();
    await expect(page.getByLabel('Title')).toHaveValue('half-written');
    await expect(page.getByLabel('Passphrase')).toHaveValue('');
    await expect(offer).toBeHidden();
  } finally {
    await app.stop();
  }
});
