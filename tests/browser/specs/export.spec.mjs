// Export in the browser: the HTML and the JSON downloads, each accepted by
// `mycase verify` with the server's key (as the CLI device that synced pinned
// it, not as the export claims it), then the app's own verify page on the same
// files, and on a changed copy, which fails. axe and screenshots on each state.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { freshDir } from '../support/env.mjs';
import { mycase, mycaseJson } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { cliJournal, openApp, unlock } from '../support/journal.mjs';
import { pairCli } from '../support/devices.mjs';
import { checkPage } from '../support/check.mjs';

/// The receipt key the CLI device `home` pinned when it first synced: read from
/// its own export (the key the device holds, not one the server says now).
async function pinnedServerKey(home) {
  const out = path.join(freshDir('pinned'), 'pinned.json');
  await mycase(home, ['sync']);
  await mycase(home, ['export', '--format', 'json', '--out', out, '--no-attachments']);
  const key = JSON.parse(fs.readFileSync(out, 'utf8')).manifest.server_key;
  expect(key).toMatch(/^[0-9a-f]{64}$/);
  return key;
}

/// Downloads the export in FORMAT from the export page; returns the saved path.
async function download(page, format, label, dir) {
  await page.getByRole('link', { name: 'Export', exact: true }).click();
  await page.getByLabel(label).check();
  const saved = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download the export' }).click();
  const file = await saved;
  const to = path.join(dir, `export.${format}`);
  await file.saveAs(to);
  return to;
}

/// The app's verify page on FILE with KEY; returns the report's heading.
async function verifyInApp(page, file, key) {
  await page.getByRole('link', { name: 'Check an export', exact: true }).click();
  await page.getByLabel('The export file').setInputFiles(file);
  await page.getByLabel("The server's public key").fill(key);
  await page.getByRole('button', { name: 'Check the file' }).click();
  const heading = page.locator('#report');
  await expect(heading).toBeVisible({ timeout: 60_000 });
  return (await heading.textContent()).trim();
}

test('export HTML and JSON that `mycase verify` accepts, and the verify page on them', async ({ page }) => {
  const journal = await cliJournal('export');
  await mycase(journal.home, ['add', '--title', 'Doorstep', '--text', 'He would not leave the doorstep', '--when', '2 March 2026']);
  await mycase(journal.home, ['add', '--title', 'Messages', '--text', 'Forty messages in one night', '--when', '9 March 2026']);
  await mycase(journal.home, ['sync']);
  const phone = await pairCli(journal.home, 'phone');
  const key = await pinnedServerKey(phone);
  const app = await startApp(journal.home);
  const dir = freshDir('downloads');
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Export', exact: true }).click();
    await checkPage(page, 'export');

    const html = await download(page, 'html', 'A page to read and print (HTML)', dir);
    const json = await download(page, 'json', 'Everything, for another program (JSON)', dir);
    expect(fs.readFileSync(html, 'utf8')).toContain('Forty messages in one night');
    expect(JSON.parse(fs.readFileSync(json, 'utf8')).entries.length).toBe(2);
    for (const file of [html, json]) {
      const report = await mycaseJson(phone, ['verify', file, '--server-key', key]);
      expect(report.ok, `${file}: ${JSON.stringify(report.problems)}`).toBe(true);
      expect(report.entries.length).toBe(2);
    }

    await page.getByRole('link', { name: 'Check an export', exact: true }).click();
    await checkPage(page, 'verify');
    await expect(page.locator('[data-upload-progress]')).toBeHidden();
    await page.getByRole('button', { name: 'Check the file' }).click();
    await expect(page.locator('[data-error-summary]')).toBeVisible();
    await checkPage(page, 'verify-error');

    expect(await verifyInApp(page, html, key)).toBe('The export checked out');
    await expect(page.locator('.verify-item--ok')).toHaveCount(await page.locator('.verify-item').count());
    await checkPage(page, 'verify-ok');
    expect(await verifyInApp(page, json, key)).toBe('The export checked out');

    // One word changed in the file: both the CLI and the page say it fails.
    const forged = path.join(dir, 'forged.json');
    fs.writeFileSync(forged, fs.readFileSync(json, 'utf8').replace('Forty messages', 'Four messages'));
    await expect(mycaseJson(phone, ['verify', forged, '--server-key', key])).rejects.toThrow(/did not verify/);
    expect(await verifyInApp(page, forged, key)).toBe('The export did not check out');
    await expect(page.locator('.verify-item--failed')).toHaveCount(1);
    await checkPage(page, 'verify-failed');
    // Another server's key: nothing checks out.
    expect(await verifyInApp(page, json, 'ab'.repeat(32))).toBe('The export did not check out');
  } finally {
    await app.stop();
  }
});
