// Journals for the journeys: a home set up with the CLI (`mycase init`), and the
// app opened and unlocked on it in a browser page.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from '@playwright/test';
import { env, freshDir } from './env.mjs';
import { mycaseJson, PASS } from './cli.mjs';
import { startApp } from './app.mjs';

/// A new journal set up by the CLI in a fresh home; returns the home and its kit.
export async function cliJournal(name = 'laptop') {
  const home = path.join(freshDir(name), 'home');
  const out = await mycaseJson(home, ['init', '--server', env.serverUrl, '--ca-cert', env.caCert, '--device-name', name]);
  return { home, kit: out.recovery_kit };
}

/// Opens the app's link in `page` (the one-time token becomes the cookie).
export async function openApp(page, app) {
  await page.goto(app.url);
  // The token is gone from the address bar at once.
  expect(new URL(page.url()).search).toBe('');
}

/// Unlocks with the test passphrase from the unlock page.
export async function unlock(page, passphrase = PASS) {
  await expect(page.getByRole('heading', { name: 'Unlock' })).toBeVisible();
  await page.getByLabel('Passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

/// A journal made by the CLI, the app started on it and unlocked in `page`.
export async function unlockedApp(page, name = 'laptop') {
  const journal = await cliJournal(name);
  const app = await startApp(journal.home);
  await openApp(page, app);
  await unlock(page);
  await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();
  return { ...journal, app };
}

/// Every file under `dir`, as bytes, for marker scans.
export function filesUnder(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}
