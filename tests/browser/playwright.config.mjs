// The browser suite: `mycase app` in Debian's headless Chromium. Run through
// `cargo test` (cli-client/tests/it/app_browser.rs starts a real MyCase server
// and passes its address, the binaries and the browser in MYCASE_* variables),
// or by hand: see README.md in this folder.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './specs',
  // One journey at a time: the machine has two cores and the journeys are long.
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 15_000 },
  retries: 0,
  reporter: [['list']],
  outputDir: process.env.MYCASE_BROWSER_OUT || 'test-results',
  use: {
    headless: true,
    // No download of Playwright's own browser: Debian's chromium, with the flags
    // that keep it off a closed network.
    launchOptions: {
      executablePath: process.env.MYCASE_CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    acceptDownloads: true,
    trace: 'off',
  },
});
