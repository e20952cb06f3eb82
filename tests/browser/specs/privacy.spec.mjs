// Privacy and reach: a marker typed into every field of an entry never shows
// in a request's address, a page title, the app's output, or any file the run
// wrote under the app's home or the system's temp folder (the journal's store
// holds it only encrypted); the journeys with the keyboard alone; every page
// without sideways scrolling at 390 px and at 200% zoom.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { mycase, PASS } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { cliJournal, openApp, unlock, filesUnder } from '../support/journal.mjs';
import { fitsWidth, lookAt } from '../support/look.mjs';
import { expectAccessible } from '../support/a11y.mjs';

/// Every regular file under DIR changed since SINCE (ms), skipping what cannot be read.
function changedFilesUnder(dir, since) {
  const out = [];
  let entries = [];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const entry of entries) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...changedFilesUnder(p, since));
    else if (entry.isFile()) {
      try { if (fs.statSync(p).mtimeMs >= since) out.push(p); } catch { /* gone meanwhile */ }
    }
  }
  return out;
}

/// The files among PATHS holding MARKER's bytes (as UTF-8 or UTF-16, as a browser might keep it).
function filesHolding(paths, marker) {
  const needles = [Buffer.from(marker, 'utf8'), Buffer.from(marker, 'utf16le')];
  return paths.filter((p) => {
    try {
      if (fs.statSync(p).size > 256 * 1024 * 1024) return false;
      const bytes = fs.readFileSync(p);
      return needles.some((n) => bytes.includes(n));
    } catch { return false; }
  });
}

test('a marker typed into every field of an entry reaches no address, title, output or plain file', async ({ page }) => {
  const started = Date.now() - 1000;
  const marker = `QZX${crypto.randomBytes(6).toString('hex')}`;
  const journal = await cliJournal('privacy');
  const app = await startApp(journal.home);
  let output = '';
  app.proc.child.stdout.on('data', (chunk) => { output += chunk.toString(); });
  const urls = [];
  const titles = [];
  page.on('request', (r) => urls.push(r.url()));
  const policyRefusals = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) policyRefusals.push(m.text()); });
  page.on('load', async () => { titles.push(await page.title().catch(() => '')); });
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Record', exact: true }).click();
    await page.getByLabel('Title (optional)').fill(`${marker} title`);
    await page.getByLabel('What happened').fill(`${marker} text`);
    await page.getByRole('radio', { name: 'Describe it in words' }).check();
    await page.getByLabel('In your own words (only for “Describe it in words”)').fill(`${marker} last March`);
    await page.getByLabel('Their name or an alias').fill(`${marker} person`);
    await page.getByLabel('Where it happened (optional)').fill(`${marker} location`);
    await page.getByLabel('Injuries (optional)').fill(`${marker} injuries`);
    await page.getByLabel('Police or crime reference numbers (optional)').fill(`${marker} police`);
    await page.getByLabel('What you did (optional)').fill(`${marker} actions`);
    await page.getByLabel('The impact on you (optional)').fill(`${marker} impact`);
    await page.getByLabel('Tags (optional)').fill(`${marker}tag`);
    // The draft is saved as it is typed, too.
    await page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/draft');
    // The marker as the date's words cannot be read as a date: refused, shown again in place.
    await page.getByRole('button', { name: 'Save the entry' }).click();
    await expect(page.locator('[data-error-summary]')).toBeVisible();
    titles.push(await page.title());
    await page.getByRole('radio', { name: 'Not sure' }).check();
    await page.getByRole('button', { name: 'Save the entry' }).click();
    const heading = page.getByRole('heading', { level: 1, name: `${marker} title` });
    await expect(heading).toBeVisible();
    titles.push(await page.title());
    await expect(page.locator('.summary-list').first()).toContainText(`${marker} injuries`);

    // Searched for, filtered by, looked at from every page that shows it.
    await page.getByRole('link', { name: 'Timeline', exact: true }).click();
    await page.getByLabel('Search').fill(marker);
    await page.getByRole('button', { name: 'Show entries' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'matching' })).toHaveText('1 matching entry.');
    titles.push(await page.title());
    for (const section of ['People', 'Patterns', 'Sharing']) {
      await page.getByRole('link', { name: section, exact: true }).click();
      titles.push(await page.title());
    }
    await page.getByRole('link', { name: 'Sharing', exact: true }).click();
    await page.getByRole('link', { name: 'Share entries' }).click();
    titles.push(await page.title());
    await page.getByRole('button', { name: 'Lock now' }).click();
    await expect(page).toHaveURL(`${app.origin}/unlock`);
  } finally {
    await app.stop();
  }
  // The CLI, opening the same store, finds the entry: the marker is in it (encrypted).
  expect(await mycase(journal.home, ['search', marker])).toContain(marker);

  expect(urls.length).toBeGreaterThan(10);
  // Everything came from the app itself (nothing third-party, no CDN), and the
  // page's policy refused nothing it asked for.
  expect(urls.filter((u) => !u.startsWith(`${app.origin}/`) && !/^(data|blob):/.test(u))).toEqual([]);
  expect(policyRefusals).toEqual([]);
  expect(urls.filter((u) => u.includes(marker) || decodeURIComponent(u).includes(marker))).toEqual([]);
  expect(titles.filter((t) => t.includes(marker))).toEqual([]);
  expect(output.includes(marker), 'the app printed the marker').toBe(false);
  expect(app.proc.stderr().includes(marker), 'the app wrote the marker to stderr').toBe(false);
  const homeFiles = filesUnder(journal.home);
  expect(homeFiles.length).toBeGreaterThan(0);
  expect(filesHolding(homeFiles, marker)).toEqual([]);
  // The scan finds the marker where it is (a file of our own, then gone), so it can fail.
  const canary = path.join(os.tmpdir(), `mycase-canary-${marker}.txt`);
  fs.writeFileSync(canary, `before ${marker} after`);
  try {
    expect(filesHolding(changedFilesUnder(os.tmpdir(), started), marker)).toEqual([canary]);
  } finally {
    fs.rmSync(canary);
  }
});

/// Presses Tab until the focused element matches `wanted` (a locator); fails after 80.
async function tabTo(page, wanted) {
  for (let presses = 0; presses < 80; presses++) {
    await page.keyboard.press('Tab');
    if (await wanted.evaluate((el) => el === document.activeElement).catch(() => false)) return;
  }
  throw new Error(`Tab never reached ${wanted}`);
}

test('unlock, record, search and lock with the keyboard alone', async ({ page }) => {
  const journal = await cliJournal('keyboard');
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await tabTo(page, page.getByLabel('Passphrase'));
    await page.keyboard.type(PASS);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();

    await tabTo(page, page.getByRole('link', { name: 'Record', exact: true }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'Record something that happened' })).toBeVisible();
    await tabTo(page, page.getByLabel('Title (optional)'));
    await page.keyboard.type('Typed without a mouse');
    await tabTo(page, page.getByLabel('What happened'));
    await page.keyboard.type('The whole entry from the keyboard');
    await tabTo(page, page.getByRole('textbox', { name: 'Day', exact: true }));
    await page.keyboard.type('7');
    await page.keyboard.press('Tab');
    await page.keyboard.type('3');
    await page.keyboard.press('Tab');
    await page.keyboard.type('2026');
    await tabTo(page, page.getByRole('checkbox').first());
    await page.keyboard.press('Space');
    await expect(page.getByRole('checkbox').first()).toBeChecked();
    await tabTo(page, page.getByRole('button', { name: 'Save the entry' }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { level: 1, name: 'Typed without a mouse' })).toBeVisible();

    await tabTo(page, page.getByRole('link', { name: 'Timeline', exact: true }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByLabel('Search'));
    await page.keyboard.type('whole keyboard');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('status').filter({ hasText: 'matching' })).toHaveText('1 matching entry.');

    await tabTo(page, page.getByRole('button', { name: 'Lock now' }));
    await page.keyboard.press('Space');
    await expect(page).toHaveURL(`${app.origin}/unlock`);
  } finally {
    await app.stop();
  }
});

test('share an entry and download an export with the keyboard alone', async ({ page }) => {
  const journal = await cliJournal('keyboard-share');
  await mycase(journal.home, ['add', '--title', 'Garage door', '--text', 'He kicked the garage door', '--when', '2 March 2026']);
  await mycase(journal.home, ['sync']);
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await tabTo(page, page.getByLabel('Passphrase'));
    await page.keyboard.type(PASS);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();

    await tabTo(page, page.getByRole('link', { name: 'Sharing', exact: true }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByRole('link', { name: 'Share entries' }));
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByLabel(/Garage door/));
    await page.keyboard.press('Space');
    await expect(page.getByLabel(/Garage door/)).toBeChecked();
    await tabTo(page, page.getByRole('button', { name: 'Create the link' }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'Your share link' })).toBeVisible({ timeout: 30_000 });

    await tabTo(page, page.getByRole('link', { name: 'Export', exact: true }));
    await page.keyboard.press('Enter');
    // Tab reaches the group of formats once; the arrow keys choose within it.
    await tabTo(page, page.getByLabel('A page to read and print (HTML)'));
    const json = page.getByLabel('Everything, for another program (JSON)');
    for (let presses = 0; presses < 4 && !(await json.isChecked()); presses++) {
      await page.keyboard.press('ArrowDown');
    }
    await expect(json).toBeChecked();
    await tabTo(page, page.getByRole('button', { name: 'Download the export' }));
    const download = page.waitForEvent('download');
    await page.keyboard.press('Enter');
    const file = await (await download).path();
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).entries.map((e) => e.title)).toEqual(['Garage door']);
  } finally {
    await app.stop();
  }
});

test('every page fits 390 px and 200% zoom without sideways scrolling, and passes axe', async ({ page }) => {
  const journal = await cliJournal('widths');
  await mycase(journal.home, ['add', '--title', 'A rather long title to see how it wraps on a phone screen', '--text', 'Text', '--when', '2 March 2026']);
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await unlock(page);
    await page.getByRole('link', { name: 'Timeline', exact: true }).click();
    await page.getByRole('link', { name: /A rather long title/ }).click();
    const entry = new URL(page.url()).pathname;
    const pages = ['/', '/timeline', '/entries/new', entry, `${entry}/amend`, `${entry}/delete`, `${entry}/evidence`, '/trash',
      '/people', '/patterns', '/export', '/verify', '/shares', '/shares/new', '/devices', '/settings',
      '/settings/passphrase', '/settings/recovery-kit', '/settings/wipe', '/settings/delete-account', '/safety'];
    const wide = [];
    // 1280 px at 200% zoom is 640 CSS pixels.
    for (const width of [390, 640, 1280]) {
      await page.setViewportSize({ width, height: 800 });
      for (const p of pages) {
        const response = await page.goto(`${app.origin}${p}`);
        expect(response.status(), p).toBeLessThan(400);
        if (!(await fitsWidth(page))) wide.push(`${p} at ${width} px`);
        // Once per page: axe, and the screenshots at 1280 and 390 px.
        if (width === 1280) {
          const name = `page${p === '/' ? '-home' : p.replace(entry, '/entry').replaceAll('/', '-')}`;
          await expectAccessible(page, p);
          await lookAt(page, name);
        }
      }
    }
    expect(wide).toEqual([]);
    // One entry is "1 entry" on the patterns page.
    await page.goto(`${app.origin}/patterns`);
    await expect(page.locator('main')).toContainText('1 entry, from');
  } finally {
    await app.stop();
  }
});
