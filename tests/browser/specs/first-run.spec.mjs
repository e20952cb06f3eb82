// First run in the browser, the three ways in (sharing.spec.mjs covers the
// create form's errors and the certificate's file): a new journal with the
// certificate pasted, the kit shown once and its print view, the confirmation;
// joining with a pairing code that `mycase pair` shows; recovering with the kit.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { env, freshDir } from '../support/env.mjs';
import { mycase, spawnMycase, PASS } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { cliJournal, openApp } from '../support/journal.mjs';
import { checkPage } from '../support/check.mjs';

/// Fills the fields every way in asks for (setup_fields.html, setup_passphrase.html).
async function fillSetup(page, deviceName) {
  await page.getByLabel("The server's address").fill(env.serverUrl);
  await page.getByLabel("The server's certificate (only if your charity gave you one)").fill(fs.readFileSync(env.caCert, 'utf8'));
  await page.getByLabel('A name for this computer').fill(deviceName);
  await page.getByLabel('Choose a passphrase').fill(PASS);
  await page.getByLabel('The passphrase again').fill(PASS);
}

/// A fresh home with `mycase app` on it, opened on the setup page.
async function freshApp(page, name) {
  const home = path.join(freshDir(name), 'home');
  const app = await startApp(home);
  await openApp(page, app);
  await page.getByRole('link', { name: 'Set up MyCase' }).click();
  await expect(page.getByRole('heading', { name: 'Set up MyCase on this computer' })).toBeVisible();
  return { home, app };
}

test('create a journal, the kit once (printable), then recover the journal with it on another computer', async ({ page, context }) => {
  const { home, app } = await freshApp(page, 'first-create');
  let kit;
  try {
    await page.getByRole('link', { name: 'Start a new journal' }).click();
    await fillSetup(page, 'laptop');
    await page.getByRole('button', { name: 'Start the journal' }).click();
    await expect(page.getByRole('heading', { name: 'Your recovery kit' })).toBeVisible();
    kit = (await page.locator('#recovery-kit').textContent()).trim();
    expect(kit.length).toBeGreaterThan(20);
    await page.emulateMedia({ media: 'print' });
    // On paper: the kit, and none of the app's chrome (quick exit, navigation, buttons).
    await expect(page.locator('#recovery-kit')).toBeVisible();
    await expect(page.locator('.quick-exit')).toBeHidden();
    await expect(page.getByRole('button', { name: 'Print it' })).toBeHidden();
    await page.screenshot({ path: path.join(env.screenshots, 'first-run-kit-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    await page.getByLabel('I have written it down').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page).toHaveURL(`${app.origin}/`);
    await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();
    await checkPage(page, 'first-run-home');
    // Shown once: nowhere to see the kit again without making a new one.
    await page.goto(`${app.origin}/setup/create`);
    await expect(page.locator('body')).not.toContainText(kit);
  } finally {
    await app.stop();
  }
  // The journal's files hold the kit only encrypted.
  expect(fs.readdirSync(home).length).toBeGreaterThan(0);

  const recoverPage = await context.newPage();
  const other = await freshApp(recoverPage, 'first-recover');
  try {
    await recoverPage.getByRole('link', { name: 'Use the recovery kit' }).click();
    await checkPage(recoverPage, 'setup-recover');
    await fillSetup(recoverPage, 'new laptop');
    await recoverPage.getByLabel('Recovery kit').fill('not-the-kit-at-all');
    await recoverPage.getByRole('button', { name: 'Bring it back' }).click();
    await expect(recoverPage.locator('[data-error-summary]')).toBeVisible();
    await checkPage(recoverPage, 'setup-recover-error');
    await fillSetup(recoverPage, 'new laptop');
    await recoverPage.getByLabel('Recovery kit').fill(kit);
    await recoverPage.getByRole('button', { name: 'Bring it back' }).click();
    await expect(recoverPage.getByRole('button', { name: 'Lock now' })).toBeVisible({ timeout: 60_000 });
    await checkPage(recoverPage, 'setup-recovered');
    expect(recoverPage.url()).not.toContain(encodeURIComponent(kit));
  } finally {
    await other.app.stop();
  }
});

test('join a journal with the pairing code `mycase pair` shows', async ({ page }) => {
  const journal = await cliJournal('first-pair');
  await mycase(journal.home, ['add', '--title', 'Made on the laptop', '--text', 'before the phone joined']);
  await mycase(journal.home, ['sync']);
  const pairing = spawnMycase(journal.home, ['pair', '--json']);
  const { app } = await freshApp(page, 'first-join');
  try {
    const { code } = JSON.parse(await pairing.line((l) => l.includes('"code"')));
    await page.getByRole('link', { name: 'Use a pairing code' }).click();
    await checkPage(page, 'setup-join');
    await fillSetup(page, 'phone');
    await page.getByLabel('Pairing code').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { name: 'Type these digits on your other device' })).toBeVisible({ timeout: 60_000 });
    const digits = (await page.locator('.matching-code').textContent()).trim();
    expect(digits).toMatch(/^\d[\d ]*\d$/);
    await checkPage(page, 'setup-join-matching');
    // The other device (the CLI) is asked for the digits, and gets them.
    await pairing.line((l) => l.includes('join_request'), 60_000);
    pairing.child.stdin.write(`${digits}\n`);
    expect(JSON.parse(await pairing.line((l) => l.includes('"paired"'), 60_000)).paired.name).toBe('phone');
    await page.getByRole('button', { name: 'I have typed them on my other device' }).click();
    await expect(page).toHaveURL(`${app.origin}/`, { timeout: 60_000 });
    await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();
    // The journal came with it.
    await page.getByRole('link', { name: 'Timeline', exact: true }).click();
    await expect(page.getByRole('link', { name: 'Made on the laptop' })).toBeVisible({ timeout: 30_000 });
    expect(await pairing.exited).toBe(0);
  } finally {
    await pairing.stop();
    await app.stop();
  }
});

test('joining fails when the other device is given other digits, and says so', async ({ page }) => {
  const journal = await cliJournal('first-pair-wrong');
  const pairing = spawnMycase(journal.home, ['pair', '--json']);
  const { app } = await freshApp(page, 'first-join-wrong');
  try {
    const { code } = JSON.parse(await pairing.line((l) => l.includes('"code"')));
    await page.getByRole('link', { name: 'Use a pairing code' }).click();
    await fillSetup(page, 'phone');
    await page.getByLabel('Pairing code').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { name: 'Type these digits on your other device' })).toBeVisible({ timeout: 60_000 });
    const digits = (await page.locator('.matching-code').textContent()).replace(/\D/g, '');
    // The other device is given digits that do not match: it refuses.
    await pairing.line((l) => l.includes('join_request'), 60_000);
    pairing.child.stdin.write(`${digits === '000000' ? '111111' : '000000'}\n`);
    expect(await pairing.exited).not.toBe(0);
    await page.getByRole('button', { name: 'I have typed them on my other device' }).click();
    await expect(page.getByRole('heading', { name: 'This computer was not added' })).toBeVisible({ timeout: 60_000 });
    await checkPage(page, 'setup-join-failed');
    await expect(page.getByRole('link', { name: 'Try again with a new code' })).toBeVisible();
  } finally {
    await pairing.stop();
    await app.stop();
  }
});
