// Entries, the timeline and people: recording an entry with every field through
// the form, reading it back, amending it, search and filters, delete (asked
// first), the trash and restore, the people page; an entry from the CLI on a
// second device appearing in the open timeline without a reload. axe on each
// page and state, screenshots at 1280 and 390 px, no sideways scrolling at 390 px.
import { test, expect } from '@playwright/test';
import { mycase, mycaseJson, PASS } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { env, freshDir } from '../support/env.mjs';
import { expectAccessible } from '../support/a11y.mjs';
import { lookAt, fitsWidth } from '../support/look.mjs';

async function unlock(page, app) {
  await page.goto(app.url);
  await page.getByLabel('Passphrase').fill(PASS);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('button', { name: 'Lock now' })).toBeVisible();
}

async function check(page, name) {
  await expectAccessible(page, name);
  await lookAt(page, name);
  await page.setViewportSize({ width: 390, height: 800 });
  expect(await fitsWidth(page), `${name} at 390 px`).toBe(true);
  await page.setViewportSize({ width: 1280, height: 800 });
}

/// Submits a form by its button and waits for the server's answer.
async function submit(page, button, path) {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path);
  await button.click();
  return (await answered).status();
}

test('record an entry with every field, read it, amend it, find it, trash and restore it', async ({ page }) => {
  const laptop = freshDir('entries-laptop');
  await mycase(laptop, ['init', '--server', env.serverUrl, '--ca-cert', env.caCert, '--json']);
  const app = await startApp(laptop);
  try {
    await unlock(page, app);
    await page.getByRole('link', { name: 'People' }).click();
    await expect(page).toHaveURL(`${app.origin}/people`);
    await check(page, 'people-empty');
    await page.getByLabel('Name or alias').fill('Jordan');
    await page.getByRole('radio', { name: 'person causing harm' }).check();
    expect(await submit(page, page.getByRole('button', { name: 'Add this person' }), '/people')).toBe(303);
    await expect(page.getByRole('link', { name: 'Jordan' })).toBeVisible();

    await page.getByRole('link', { name: 'Record', exact: true }).click();
    await expect(page).toHaveURL(`${app.origin}/entries/new`);
    await check(page, 'record');
    // Mistakes first: a date that does not exist and no text.
    await page.getByLabel('Day', { exact: true }).first().fill('31');
    await page.getByLabel('Month', { exact: true }).first().fill('4');
    await page.getByLabel('Year', { exact: true }).first().fill('2026');
    expect(await submit(page, page.getByRole('button', { name: 'Save the entry' }), '/entries/new')).toBe(422);
    await expect(page.locator('[data-error-summary]')).toBeFocused();
    await expect(page).toHaveTitle('Error: Record something – Notes');
    await check(page, 'record-error');
    // The summary's link takes the keyboard to the box.
    await page.locator('[data-error-summary] a').first().click();

    await page.getByLabel('Title (optional)').fill('Kitchen');
    await page.getByLabel('What happened').fill('He shouted and threw a cup.\nI left.');
    await page.getByRole('radio', { name: 'At an exact time' }).check();
    await page.getByLabel('Day', { exact: true }).first().fill('14');
    await page.getByLabel('Month', { exact: true }).first().fill('3');
    await page.getByLabel('Year', { exact: true }).first().fill('2026');
    await page.getByLabel('Time', { exact: true }).first().fill('9:30pm');
    await page.getByRole('checkbox', { name: 'Threats' }).check();
    await page.getByRole('checkbox', { name: 'Damage to property' }).check();
    await page.getByRole('checkbox', { name: /Jordan/ }).check();
    await page.getByLabel('Their name or an alias').fill('Sam');
    await page.getByLabel('Their role (optional)').selectOption('witness');
    await page.getByRole('radio', { name: '4', exact: true }).check();
    await page.getByLabel('Where it happened (optional)').fill('Home');
    await page.getByLabel('Injuries (optional)').fill('Cut on hand');
    await page.getByLabel('Police or crime reference numbers (optional)').fill('CAD 1234');
    await page.getByLabel('What you did (optional)').fill('Called 101\nTold my IDVA');
    await page.getByLabel('The impact on you (optional)').fill('Could not sleep');
    await page.getByLabel('Tags (optional)').fill('night, cup');
    await page.getByRole('button', { name: 'Save the entry' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Kitchen' })).toBeVisible();
    // Neither the address nor the title carries the entry.
    expect(new URL(page.url()).pathname).toMatch(/^\/entries\/[a-z2-7]{16}$/);
    await expect(page).toHaveTitle('Entry – Notes');
    for (const shown of ['Sat 14 March 2026, 21:30', 'Threats, Damage to property', 'Jordan (person causing harm)',
      'Sam (witness)', '4 of 5', 'CAD 1234', 'Told my IDVA', 'Could not sleep', 'Cut on hand']) {
      await expect(page.getByText(shown, { exact: false }).first()).toBeVisible();
    }
    await check(page, 'entry');

    await page.getByRole('link', { name: 'Change this entry' }).click();
    await expect(page.getByLabel('Title (optional)')).toHaveValue('Kitchen');
    await check(page, 'amend');
    await page.getByLabel('Title (optional)').fill('In the kitchen');
    await page.getByRole('button', { name: 'Save the change' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'In the kitchen' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Amended' })).toBeVisible();

    await page.getByRole('link', { name: 'Timeline' }).click();
    await expect(page.getByRole('heading', { name: /March 2026/ })).toBeVisible();
    await check(page, 'timeline');
    await page.getByLabel('Search').fill('cup jordan');
    await page.getByRole('button', { name: 'Show entries' }).click();
    await expect(page.getByText('1 matching entry.')).toBeVisible();
    await expect(page).toHaveURL(`${app.origin}/timeline`);
    await page.getByLabel('Search').fill('nothing like this');
    await page.getByRole('button', { name: 'Show entries' }).click();
    await expect(page.getByText('No entries match.')).toBeVisible();
    await page.getByRole('button', { name: 'Clear the search and filters' }).click();
    await page.getByText('Filter by date, category, person or tag').click();
    await page.getByLabel('From', { exact: true }).fill('April 2026');
    await page.getByLabel('To', { exact: true }).fill('January 2026');
    expect(await submit(page, page.getByRole('button', { name: 'Show entries' }), '/timeline')).toBe(422);
    await check(page, 'timeline-error');
    await page.getByLabel('From', { exact: true }).fill('');
    await page.getByLabel('To', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Show entries' }).click();

    await page.getByRole('link', { name: 'In the kitchen' }).click();
    await page.getByRole('link', { name: 'Move to the trash' }).click();
    await check(page, 'delete');
    expect(await submit(page, page.getByRole('button', { name: 'Move to the trash' }), page.url().replace(app.origin, ''))).toBe(422);
    await page.getByRole('checkbox', { name: 'Yes, move it to the trash' }).check();
    await page.getByRole('button', { name: 'Move to the trash' }).click();
    await expect(page).toHaveURL(`${app.origin}/trash`);
    await check(page, 'trash');
    await page.getByRole('button', { name: /Restore/ }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'In the kitchen' })).toBeVisible();

    await page.getByRole('link', { name: 'People' }).click();
    await page.getByLabel('Find someone').fill('jrdan');
    await page.getByRole('button', { name: 'Find' }).click();
    await expect(page.getByText('Did you mean')).toBeVisible();
    await check(page, 'people');
    await page.getByRole('link', { name: 'Jordan' }).first().click();
    await check(page, 'person');
  } finally {
    await app.stop();
  }
});

test('an entry written on another device appears in the open timeline', async ({ page }) => {
  const laptop = freshDir('live-laptop');
  const phone = freshDir('live-phone');
  const created = await mycaseJson(laptop, ['init', '--server', env.serverUrl, '--ca-cert', env.caCert]);
  await mycase(phone, ['recover', '--server', env.serverUrl, '--ca-cert', env.caCert, '--device-name', 'phone', '--json'],
    { MYCASE_RECOVERY_KIT: created.recovery_kit });
  const app = await startApp(laptop);
  try {
    await unlock(page, app);
    await page.getByRole('link', { name: 'Timeline' }).click();
    await expect(page.getByText('Nothing is recorded yet.')).toBeVisible();
    await expect(page.locator('#sync-status')).toHaveText('Up to date');
    // Typed into the search box meanwhile: the refresh must not lose it.
    await page.getByLabel('Search').fill('half typed');
    await mycase(phone, ['add', '--title', 'Written on the phone', '--text', 'x', '--when', '5/3/2026', '--json']);
    await mycase(phone, ['sync']);
    await expect(page.getByRole('link', { name: 'Written on the phone' })).toBeVisible({ timeout: 30_000 });
    await expect(page.getByLabel('Search')).toHaveValue('half typed');
  } finally {
    await app.stop();
  }
});
