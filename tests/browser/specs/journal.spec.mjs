// The journal in the browser: an entry recorded with every field and a photo
// dropped on it (with progress), on the timeline; the CLI as a second device
// sees it after `mycase sync` and amends it, and the amendment arrives in the
// open page without a reload; search with several words and each filter;
// delete to the trash and restore. axe and screenshots on each state.
import { test, expect } from '@playwright/test';
import { mycase, mycaseJson } from '../support/cli.mjs';
import { startApp } from '../support/app.mjs';
import { cliJournal, openApp, unlock, unlockedApp } from '../support/journal.mjs';
import { pairCli } from '../support/devices.mjs';
import { checkPage } from '../support/check.mjs';

/// Clicks a button whose form answers with a redirect, and waits for the page it
/// lands on (app.js follows the redirect with a navigation of its own).
async function clickAndLand(page, button) {
  const landed = page.waitForNavigation();
  await button.click();
  await landed;
}

/// The timeline's search and filters: fills what `set` says, shows the entries,
/// and returns the titles listed.
async function searchTimeline(page, set) {
  await page.getByRole('link', { name: 'Timeline', exact: true }).click();
  const clear = page.getByRole('button', { name: 'Clear the search and filters' });
  if (await clear.count()) await clickAndLand(page, clear);
  await expect(clear).toHaveCount(0);
  const details = page.locator('details.details');
  if (!(await details.evaluate((d) => d.open))) await page.getByText('Filter by date, category, person or tag').click();
  await set(page);
  await clickAndLand(page, page.getByRole('button', { name: 'Show entries' }));
  await expect(clear).toBeVisible();
  return page.locator('.entry-list__title').allTextContents().then((t) => t.map((s) => s.trim()).sort());
}

test('record with every field and a photo, the CLI amends it into the open page, search, filters, trash', async ({ page }) => {
  const journal = await cliJournal('journal');
  await mycase(journal.home, ['add', '--title', 'Bus stop', '--text', 'He waited outside the school gates', '--when', '3 March 2026']);
  const phone = await pairCli(journal.home, 'phone');
  const app = await startApp(journal.home);
  try {
    await openApp(page, app);
    await unlock(page);

    await page.getByRole('link', { name: 'Record', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Record something that happened' })).toBeVisible();
    await checkPage(page, 'record');
    // A date that cannot be: the error shown in place, nothing saved.
    await page.getByLabel('At an exact time').check();
    await page.getByRole('textbox', { name: 'Day', exact: true }).fill('32');
    await page.getByRole('textbox', { name: 'Month', exact: true }).fill('3');
    await page.getByRole('textbox', { name: 'Year', exact: true }).fill('2026');
    await page.getByRole('button', { name: 'Save the entry' }).click();
    await expect(page.locator('[data-error-summary]')).toBeVisible();
    await expect(page).toHaveTitle(/^Error: /);
    await checkPage(page, 'record-error');

    await page.getByLabel('Title (optional)').fill('Kitchen argument');
    await page.getByLabel('What happened').fill('He shouted and broke the kettle');
    await page.getByLabel('At an exact time').check();
    await page.getByRole('textbox', { name: 'Day', exact: true }).fill('14');
    await page.getByRole('textbox', { name: 'Month', exact: true }).fill('3');
    await page.getByRole('textbox', { name: 'Year', exact: true }).fill('2026');
    await page.getByRole('textbox', { name: 'Time', exact: true }).fill('21:30');
    const categories = page.locator('input[name=categories]');
    await categories.nth(0).check();
    await categories.nth(1).check();
    const firstCategory = (await page.locator(`label[for="${await categories.nth(0).getAttribute('id')}"]`).textContent()).trim();
    await page.getByLabel('Their name or an alias').fill('Sam');
    await page.getByLabel('Their role (optional)').selectOption({ index: 1 });
    await page.getByLabel('4', { exact: true }).check();
    await page.getByLabel('Where it happened (optional)').fill('The kitchen at home');
    await page.getByLabel('Injuries (optional)').fill('A bruised arm');
    await page.getByLabel('Police or crime reference numbers (optional)').fill('CAD 1234');
    await page.getByLabel('What you did (optional)').fill('Called 101');
    await page.getByLabel('The impact on you (optional)').fill('Could not sleep');
    await page.getByLabel('Tags (optional)').fill('kettle, evening');
    await page.getByRole('button', { name: 'Save the entry' }).click();

    await expect(page.getByRole('heading', { level: 1, name: 'Kitchen argument' })).toBeVisible();
    const entryUrl = new URL(page.url());
    expect(entryUrl.pathname).toMatch(/^\/entries\/[^/]+$/);
    const shown = page.locator('.summary-list').first();
    for (const words of ['He shouted and broke the kettle', '14 March 2026', firstCategory, 'Sam', '4 of 5', 'The kitchen at home', 'A bruised arm', 'CAD 1234', 'Called 101', 'Could not sleep', 'kettle', 'evening']) {
      await expect(shown).toContainText(words);
    }
    await checkPage(page, 'entry');

    // A photo dropped on the entry page's drop zone, with progress shown as it goes.
    await expect(page.locator('[data-drop-zone]')).toBeVisible();
    // No empty progress bar before anything is sent.
    await expect(page.locator('[data-upload-progress]')).toBeHidden();
    // A real PNG made big enough (bytes after its end are ignored by viewers)
    // that the upload takes more than one progress event.
    const photo = Buffer.concat([await page.screenshot({ type: 'png' }), Buffer.alloc(2 * 1024 * 1024)]);
    await page.evaluate(() => {
      window.uploadWords = [];
      const status = document.querySelector('[data-upload-status]');
      new MutationObserver(() => window.uploadWords.push(status.textContent)).observe(status, { childList: true, characterData: true, subtree: true });
    });
    const stored = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/attachments'));
    await page.evaluate((bytes) => {
      const file = new File([new Uint8Array(bytes)], 'kettle.png', { type: 'image/png' });
      const data = new DataTransfer();
      data.items.add(file);
      document.querySelector('[data-drop-zone]').dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }, [...photo]);
    expect((await stored).status()).toBeLessThan(400);
    // The status line said how far it had got before the page showed the photo.
    expect(await page.evaluate(() => window.uploadWords)).toContainEqual(expect.stringMatching(/^(Sending: \d+%|Storing it safely…)$/));
    await expect(page.getByRole('img', { name: 'Attached photo: kettle.png' })).toBeVisible();
    await checkPage(page, 'evidence-photo');

    // A letter as a PDF, chosen with the file picker: shown inline in the entry
    // page, framed by the app's own page only (nothing refuses it).
    const refusals = [];
    page.on('console', (m) => { if (/Refused to (frame|display|load)/.test(m.text())) refusals.push(m.text()); });
    const letter = '%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n';
    await page.setInputFiles('#file', { name: 'letter.pdf', mimeType: 'application/pdf', buffer: Buffer.from(letter) });
    const framed = page.waitForResponse((r) => r.url().includes('/attachments/') && r.headers()['content-type'] === 'application/pdf');
    await page.getByRole('button', { name: 'Attach the file' }).click();
    const pdf = await framed;
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['x-frame-options']).toBe('SAMEORIGIN');
    await expect(page.locator('iframe.evidence__pdf[title="Attached PDF: letter.pdf"]')).toBeVisible();
    expect(refusals).toEqual([]);
    await checkPage(page, 'evidence-pdf');

    await page.getByRole('link', { name: 'Timeline', exact: true }).click();
    const item = page.locator('.entry-list__item', { hasText: 'Kitchen argument' });
    await expect(item).toContainText('2 attached');
    await expect(item).toContainText('severity 4 of 5');
    await checkPage(page, 'timeline');

    // The second device: it sees the entry after a sync, and amends it.
    await mycase(phone, ['sync']);
    const entries = await mycaseJson(phone, ['list']);
    const onPhone = entries.find((e) => e.title === 'Kitchen argument');
    expect(onPhone, JSON.stringify(entries.map((e) => e.title))).toBeTruthy();
    expect(onPhone.text).toBe('He shouted and broke the kettle');
    expect(onPhone.attachments.length).toBe(2);
    await page.evaluate(() => { window.notReloaded = true; });
    await mycase(phone, ['amend', onPhone.id, '--title', 'Kitchen argument, the kettle thrown']);
    await mycase(phone, ['sync']);
    await expect(page.getByRole('link', { name: 'Kitchen argument, the kettle thrown' })).toBeVisible({ timeout: 60_000 });
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);

    // Several words: each must be in the entry, in any field.
    expect(await searchTimeline(page, (p) => p.getByLabel('Search').fill('kettle shouted'))).toEqual(['Kitchen argument, the kettle thrown']);
    await expect(page.getByRole('status').filter({ hasText: 'matching' })).toHaveText('1 matching entry.');
    expect(await searchTimeline(page, (p) => p.getByLabel('Search').fill('waited gates'))).toEqual(['Bus stop']);
    expect(await searchTimeline(page, (p) => p.getByLabel('Search').fill('kettle school'))).toEqual([]);
    await expect(page.locator('#timeline-list')).toContainText('No entries match');
    await checkPage(page, 'timeline-no-match');
    // Each filter on its own.
    expect(await searchTimeline(page, async (p) => { await p.getByLabel('From', { exact: true }).fill('10/3/2026'); })).toEqual(['Kitchen argument, the kettle thrown']);
    expect(await searchTimeline(page, async (p) => { await p.getByLabel('To', { exact: true }).fill('10/3/2026'); })).toEqual(['Bus stop']);
    expect(await searchTimeline(page, (p) => p.locator('.filters input[name=categories]').first().check())).toEqual(['Kitchen argument, the kettle thrown']);
    expect(await searchTimeline(page, (p) => p.locator('.filters').getByLabel('Sam').check())).toEqual(['Kitchen argument, the kettle thrown']);
    expect(await searchTimeline(page, (p) => p.locator('.filters').getByLabel('evening').check())).toEqual(['Kitchen argument, the kettle thrown']);
    await checkPage(page, 'timeline-filtered');
    // A date that cannot be read: said so, and not taken as no filter.
    await page.getByRole('button', { name: 'Clear the search and filters' }).click();
    await page.getByText('Filter by date, category, person or tag').click();
    await page.getByLabel('From', { exact: true }).fill('the thirty-second of March');
    await page.getByRole('button', { name: 'Show entries' }).click();
    await expect(page.locator('[data-error-summary]')).toBeVisible();
    await checkPage(page, 'timeline-error');

    // Delete to the trash, and back.
    await page.getByRole('link', { name: 'Timeline', exact: true }).click();
    await page.getByRole('link', { name: 'Bus stop' }).click();
    await page.getByRole('link', { name: 'Move to the trash' }).click();
    await checkPage(page, 'entry-delete');
    await page.getByRole('button', { name: 'Move to the trash' }).click();
    await expect(page.locator('[data-error-summary]')).toContainText('Tick the box');
    await checkPage(page, 'entry-delete-error');
    await page.getByLabel('Yes, move it to the trash').check();
    await page.getByRole('button', { name: 'Move to the trash' }).click();
    await expect(page.getByRole('heading', { name: 'Trash', exact: true })).toBeVisible();
    await checkPage(page, 'trash');
    await page.getByRole('link', { name: 'Timeline', exact: true }).click();
    await expect(page.getByRole('link', { name: 'Bus stop' })).toHaveCount(0);
    await page.getByRole('link', { name: 'The trash' }).click();
    await page.getByRole('button', { name: 'Restore Bus stop' }).click();
    await expect(page.getByRole('button', { name: 'Restore Bus stop' })).toHaveCount(0);
    await page.getByRole('link', { name: 'Timeline', exact: true }).click();
    await expect(page.getByRole('link', { name: 'Bus stop' })).toBeVisible();
    await page.getByRole('link', { name: 'The trash' }).click();
    await checkPage(page, 'trash-empty');
  } finally {
    await app.stop();
  }
});

// The form says everything but what happened can be added later: a blank form
// ("On a day" chosen, its boxes empty) saves an entry with no date.
test('an entry with only what happened is saved, as the form promises', async ({ page }) => {
  const { app } = await unlockedApp(page, 'only-text');
  try {
    await page.getByRole('link', { name: 'Record', exact: true }).click();
    await page.getByLabel('What happened').fill('Only this, the rest later');
    await page.getByRole('button', { name: 'Save the entry' }).click();
    await expect(page.locator('[data-error-summary]')).toHaveCount(0);
    await expect(page.locator('.summary-list').first()).toContainText('Only this, the rest later');
  } finally {
    await app.stop();
  }
});
