#!/usr/bin/env node
// Loads a chm-report html page in the system Chromium (playwright-core, no
// browser of its own) and says, as one JSON object on stdout, what a person
// would meet: for each width (1400 and 390 px) and colour scheme, how wide
// the page is against the window, the axe-core violations, and a full-page
// screenshot in the artifacts directory; then whether printing unfolds the
// tables. It judges nothing: the bats test (t0603) asserts on the JSON.
//
//   check_page.js PAGE.html ARTIFACT_DIR NAME
//
// CHROMIUM names the browser (default /usr/bin/chromium). --no-sandbox: CI
// runs as root.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [page_file, artifacts, name] = process.argv.slice(2);
if (!page_file || !artifacts || !name) {
	console.error('usage: check_page.js PAGE.html ARTIFACT_DIR NAME');
	process.exit(64);
}
const axe_source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const url = 'file://' + path.resolve(page_file);

async function look(browser, width, scheme) {
	const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
	const page = await context.newPage();
	const errors = [];
	page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
	page.on('pageerror', (e) => errors.push(String(e)));
	page.on('requestfailed', (r) => errors.push('request failed: ' + r.url()));
	const requests = [];
	page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
	await page.goto(url);
	const size = await page.evaluate(() => ({
		scroll_width: document.documentElement.scrollWidth,
		client_width: document.documentElement.clientWidth,
		height: document.documentElement.scrollHeight,
		background: getComputedStyle(document.body).backgroundColor,
	}));
	const shot = path.join(artifacts, `${name}-${width}${scheme === 'dark' ? '-dark' : ''}.png`);
	await page.screenshot({ path: shot, fullPage: true });
	await page.addScriptTag({ content: axe_source });
	const axe = await page.evaluate(async () => {
		const r = await window.axe.run(document, { resultTypes: ['violations'] });
		return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
	});
	await context.close();
	return { width, scheme, ...size, screenshot: shot, errors, requests, axe };
}

// Printed: every folded table shows, and nothing is fixed to the page.
async function printed(browser) {
	const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
	const page = await context.newPage();
	await page.goto(url);
	await page.emulateMedia({ media: 'print' });
	const r = await page.evaluate(() => {
		const folded = [...document.querySelectorAll('details table')];
		return {
			folded_tables: folded.length,
			visible_when_printed: folded.filter((t) => t.checkVisibility()).length,
			fixed: [...document.querySelectorAll('*')].filter((e) =>
				['fixed', 'sticky'].includes(getComputedStyle(e).position)).length,
		};
	});
	const pdf = path.join(artifacts, `${name}.pdf`);
	await page.pdf({ path: pdf, format: 'A4' });
	await context.close();
	return { ...r, pdf };
}

(async () => {
	fs.mkdirSync(artifacts, { recursive: true });
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
			'--disable-component-update', '--no-first-run'],
	});
	try {
		const views = [];
		for (const [width, scheme] of [[1400, 'light'], [390, 'light'], [1400, 'dark'], [390, 'dark']])
			views.push(await look(browser, width, scheme));
		const print = await printed(browser);
		process.stdout.write(JSON.stringify({ views, print }, null, 1) + '\n');
	} finally {
		await browser.close();
	}
})().catch((e) => { console.error(e); process.exit(1); });
