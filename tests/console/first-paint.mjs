// Measures the console's first paint on localhost: fresh browser contexts
// (empty cache) load the home page and a Lottery execution page; prints the
// median and worst time until the page's HTML was received, the first
// contentful paint, and the time until the content is there (the machines
// listed; the execution's diagram drawn and coloured), all from navigation
// start.
//   node first-paint.mjs [runs]      (BATON_BIN / CARGO_TARGET_DIR as for the tests)
import { chromium } from 'playwright-core';
import { startBaton, deployLottery, waitClosed } from './server.mjs';

const RUNS = Number(process.argv[2] || 15);
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const baton = await startBaton();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: FLAGS });
try {
  const lottery = await deployLottery(baton);
  const { executionArn } = await baton.sfn('StartExecution', { stateMachineArn: lottery, input: '{"input": 2}' });
  await waitClosed(baton, executionArn);
  const pages = {
    home: [`${baton.url}/#/`, 'tr[data-machine]'],
    execution: [`${baton.url}/#/execution/${encodeURIComponent(executionArn)}`, 'g.state[data-status="succeeded"]'],
  };
  for (const [name, [url, ready]] of Object.entries(pages)) {
    const fcp = [];
    const done = [];
    const served = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForSelector(ready);
      const t = await page.evaluate(() => [
        performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
        performance.now(),
        performance.getEntriesByType('navigation')[0]?.responseEnd,
      ]);
      fcp.push(t[0]);
      done.push(t[1]);
      served.push(t[2]);
      await context.close();
    }
    const stat = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      return `median ${s[Math.floor(s.length / 2)].toFixed(0)} ms, worst ${s.at(-1).toFixed(0)} ms`;
    };
    console.log(`${name}: page served ${stat(served)}; first contentful paint ${stat(fcp)}; content ready ${stat(done)} (${RUNS} cold loads)`);
  }
} finally {
  await browser.close();
  await baton.stop();
}
