// Screenshots at the widths the survivor uses (a laptop and a phone), for people
// to look at: written to MYCASE_SCREENSHOTS.
import path from 'node:path';
import { env } from './env.mjs';

export const WIDTHS = [1280, 390];

/// Screenshots the page at 1280 and 390 px wide (full page), restoring the size.
export async function lookAt(page, name) {
  const before = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(env.screenshots, `${name}-${width}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

/// The page shows everything without sideways scrolling at this width.
export async function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}
