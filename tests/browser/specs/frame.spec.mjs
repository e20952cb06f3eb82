// The frame every page shares: the launch link, unlock (the error shown in
// place), lock now, quick exit by button and by Shift pressed three times, the
// safety page; axe on each state, screenshots at 1280 and 390 px.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { mycase, PASS } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { env, freshDir } from '../support/env.mjs';
import { expectAccessible } from '../support/a11y.mjs';
import { lookAt, fitsWidth } from '../support/look.mjs';

async function setUpHome(name) {
  const home = freshDir(name);
  await mycase(home, ['init', '--server', env.serverUrl, '--ca-cert', env.caCert, '--json']);
  return home;
}

/// Submits the unlock form and waits for the server's answer to it.
async function submitPassphrase(page, passphrase) {
  await page.getByLabel('Passphrase').fill(passphrase);
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/unlock');
  await page.getByRole('button', { name: 'Unlock' }).click();
  return (await answered).status();
}

async function unlock(page) {
  expect(await submitPassphrase(page, PASS)).toBe(303);
  await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();
}

test('the launch link, unlock with a wrong try shown in place, lock now', async ({ page }) => {
  const app = await startApp(await setUpHome('frame-unlock'));
  try {
    await page.goto(app.url);
    await expect(page).toHaveURL(`${app.origin}/unlock`);
    await expect(page).toHaveTitle('Unlock – Notes');
    // The keyboard reaches the skip link first, then quick exit.
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Skip to main content' })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Exit this page' })).toBeFocused();
    await expectAccessible(page, 'unlock');
    await lookAt(page, 'unlock');
    expect(await fitsWidth(page)).toBe(true);

    expect(await submitPassphrase(page, 'not the passphrase')).toBe(422);
    const summary = page.locator('[data-error-summary]');
    await expect(summary).toBeVisible();
    await expect(summary).toBeFocused();
    await expect(page).toHaveTitle('Error: Unlock – Notes');
    await expectAccessible(page, 'unlock with an error');
    await lookAt(page, 'unlock-error');

    // The App slows the next try; the page says how long, and a try after it works.
    for (let tries = 0; tries < 30; tries++) {
      const status = await submitPassphrase(page, PASS);
      if (status === 303) break;
      expect(status).toBe(429);
      await expect(page.locator('.error-message')).toContainText('seconds');
      await page.waitForTimeout(1000);
    }
    await expect(page).toHaveURL(`${app.origin}/`);
    // The live events move the indicator once the background sync has run.
    await expect(page.locator('#sync-status')).toHaveText('Up to date');
    await expect(page.locator('#sync-status')).toHaveAttribute('data-state', 'up-to-date');
    await expectAccessible(page, 'home');
    await lookAt(page, 'home');
    expect(await fitsWidth(page)).toBe(true);
    // A phone's width, and 200% zoom on a laptop (half the CSS pixels): no sideways scrolling.
    for (const width of [390, 640]) {
      await page.setViewportSize({ width, height: 800 });
      expect(await fitsWidth(page), `${width} px`).toBe(true);
    }
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole('link', { name: 'Safety' }).click();
    await expect(page.getByText('Call 999')).toBeVisible();
    await expectAccessible(page, 'safety');
    await lookAt(page, 'safety');

    await page.getByRole('button', { name: 'Lock now' }).click();
    await expect(page).toHaveURL(`${app.origin}/unlock`);
    await expect(page.getByRole('button', { name: 'Lock now' })).toHaveCount(0);
  } finally {
    await app.stop();
  }
});

test('quick exit by button and by Shift pressed three times locks and leaves a neutral page', async ({ page }) => {
  const app = await startApp(await setUpHome('frame-exit'));
  try {
    await page.goto(app.url);
    await unlock(page);
    const before = await page.evaluate(() => history.length);
    await page.getByRole('link', { name: 'Exit this page' }).click();
    await expect(page).toHaveURL(`${app.origin}/exit`);
    await expect(page).toHaveTitle('Notes');
    await expect(page.locator('body')).not.toContainText('MyCase');
    expect(await page.evaluate(() => history.length)).toBe(before);
    await expectAccessible(page, 'the neutral page');
    await lookAt(page, 'exit');
    // Locked: going back in asks for the passphrase.
    await page.goto(`${app.origin}/`);
    await expect(page).toHaveURL(`${app.origin}/unlock`);

    await unlock(page);
    // Shift with another key between does nothing...
    await page.keyboard.press('Shift');
    await page.keyboard.press('a');
    await page.keyboard.press('Shift');
    await page.keyboard.press('Shift');
    await page.waitForTimeout(300);
    await expect(page).toHaveURL(`${app.origin}/`);
    // ...three on their own leave at once.
    await page.keyboard.press('Shift');
    await page.keyboard.press('Shift');
    await page.keyboard.press('Shift');
    await expect(page).toHaveURL(`${app.origin}/exit`);
    await page.goto(`${app.origin}/`);
    await expect(page).toHaveURL(`${app.origin}/unlock`);
  } finally {
    await app.stop();
  }
});

test('the page mycase app opens the browser with (a local file) signs in', async ({ page }) => {
  const app = await startApp(await setUpHome('frame-launch'));
  try {
    // What `mycase app` writes to an owner-only folder and hands the browser.
    const launch = path.join(freshDir('launch'), 'app-launch.html');
    fs.writeFileSync(launch, `<!DOCTYPE html><meta charset="utf-8"><title>Notes</title><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${app.url}">`);
    await page.goto(`file://${launch}`);
    await expect(page).toHaveURL(`${app.origin}/unlock`);
    await unlock(page);
  } finally {
    await app.stop();
  }
});

test('a copy of the link in another browser opens nothing', async ({ browser, page }) => {
  const app = await startApp(await setUpHome('frame-link'));
  try {
    await page.goto(app.url);
    await expect(page).toHaveURL(`${app.origin}/unlock`);
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

test('idle lock: the page saves a half-written form, locks, and the draft is there after unlocking', async ({ page }) => {
  const home = await setUpHome('frame-idle');
  // The shortest idle time the app allows, so the test waits one minute, not five.
  fs.writeFileSync(path.join(home, 'app-settings.json'), JSON.stringify({ idle_lock_minutes: 1 }));
  const app = await startApp(home);
  try {
    await page.goto(app.url);
    await unlock(page);
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
    await unlock(page);
    const draft = await page.evaluate(async () => (await fetch('/draft', { headers: { Accept: 'application/json' } })).json());
    expect(draft.draft.form).toBe('entry');
    expect(draft.draft.fields).toEqual([['title', 'half-written']]);
  } finally {
    await app.stop();
  }
});
