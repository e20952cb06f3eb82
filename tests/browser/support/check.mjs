// One look at a page as the journeys pass through it: axe (WCAG 2.2 AA, no
// violation), no sideways scrolling at 390 px, screenshots at 1280 and 390 px.
import { expect } from '@playwright/test';
import { expectAccessible } from './a11y.mjs';
import { lookAt, fitsWidth } from './look.mjs';

export async function checkPage(page, name) {
  // As the page first shows (a field filled lower down scrolls the header half out).
  await page.evaluate(() => window.scrollTo(0, 0));
  await expectAccessible(page, name);
  const before = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 900 });
  expect(await fitsWidth(page), `${name} fits 390 px`).toBe(true);
  if (before) await page.setViewportSize(before);
  await lookAt(page, name);
}
