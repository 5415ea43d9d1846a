// Opens /docs in Debian's headless chromium through playwright-core, expands
// POST /api/v1/trades, sends a trade with "Try it out" and reads the 201 on the page, then
// sends a lower version and reads the 400. Saves screenshots.
// Usage: node browser_docs.cjs BASE_URL SCREENSHOT_DIR   (PLAYWRIGHT_CORE_DIR names the package)
'use strict';
const path = require('path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE_DIR || 'playwright-core');

const [base, shots] = process.argv.slice(2);
const operation = '#operations-trades-createTrade';

function body(version) {
  return JSON.stringify({
    trade_id: 'BROWSER-1', version, counter_party_id: 'CP-1', book_id: 'B1',
    maturity_date: '2030-05-20',
  }, null, 2);
}

async function execute(page, version) {
  const editor = page.locator(`${operation} textarea.body-param__text`);
  await editor.fill(body(version));
  await page.locator(`${operation} button.execute`).click();
  // The live response of this operation: its status cell and body.
  const status = page.locator(`${operation} .live-responses-table .response .response-col_status`).first();
  const expected = version === 2 ? '201' : '400';
  await status.filter({ hasText: expected }).waitFor({ timeout: 15000 });
  const text = await page.locator(`${operation} .live-responses-table .response .response-col_description`).first().innerText();
  return { status: (await status.innerText()).trim(), text };
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1800 } });
    const failures = [];
    page.on('pageerror', (error) => failures.push(error.message));
    await page.goto(`${base}/docs`, { waitUntil: 'load' });
    await page.locator(`${operation} .opblock-summary`).waitFor({ timeout: 15000 });
    await page.locator(`${operation} .opblock-summary`).click();
    await page.locator(`${operation} button.try-out__btn`).click();

    const created = await execute(page, 2);
    if (!created.status.startsWith('201') || !created.text.includes('"outcome": "created"')) {
      throw new Error(`expected 201 created, saw ${created.status}: ${created.text}`);
    }
    await page.locator(`${operation}`).screenshot({ path: path.join(shots, 'docs-post-trade-201.png') });

    const rejected = await execute(page, 1);
    if (!rejected.status.startsWith('400') || !rejected.text.includes('LOWER_VERSION')) {
      throw new Error(`expected 400 LOWER_VERSION, saw ${rejected.status}: ${rejected.text}`);
    }
    await page.locator(`${operation}`).screenshot({ path: path.join(shots, 'docs-post-trade-400.png') });
    await page.screenshot({ path: path.join(shots, 'docs-page.png'), fullPage: false });
    if (failures.length) throw new Error(`page errors: ${failures.join('; ')}`);
    console.log(`browser: 201 then 400 seen on /docs; screenshots in ${shots}`);
  } finally {
    await browser.close();
  }
})().catch((error) => {
  console.error(`browser test failed: ${error.stack || error}`);
  process.exit(1);
});
