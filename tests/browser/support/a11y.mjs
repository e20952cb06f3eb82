// axe-core in the page, WCAG 2.2 AA: a page with any violation fails its test.
// Injected through the DevTools protocol (page.evaluate), which the app's CSP
// (script-src 'self') rightly does not let a <script> tag do.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { expect } from '@playwright/test';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const WCAG22AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/// Runs axe on the page as it is now; fails listing each violation and its nodes.
export async function expectAccessible(page, state) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  }, WCAG22AA);
  expect(result, `axe (WCAG 2.2 AA) on ${state}: ${JSON.stringify(result, null, 2)}`).toEqual([]);
}
