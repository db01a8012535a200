// The status page in a real browser: Debian's Chromium, driven by playwright-core, against the bot
// started on loopback with the fake Webex and Twilio. What the page shows is checked against what the
// fakes received. Set STATUS_SCREENSHOT=docs/status-page.png to save the README's screenshot (mid-escalation).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startFakeTwilio, type FakeTwilio } from './fakes/twilio.ts';
import { startFakeWebex, type FakeWebex } from './fakes/webex.ts';
import type { StatusView } from '../src/status/status-view.ts';
import { liveEnv, repoRoot, seedSettings, startBot, TEST_TOKENS, workspace, type BotProcess } from './support/bot-process.ts';

const CHROMIUM = '/usr/bin/chromium';
// Root in CI needs --no-sandbox; the rest keep Chromium from reaching for a network it does not have.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const NARROWEST = { width: 320, height: 640 };
const ROOM = 'Green Power Demonstration';
const PEOPLE = ['bernard.paques@dimensiondata.com', 'nemo.verbist@dimensiondata.com', 'laurent.vogt@dimensiondata.com', 'david.hubert@dimensiondata.com'];
const NUMBER = '+352691496401';
/** The seed with the debounce window off, so a test can press quickly. */
const SETTINGS = `${readFileSync(seedSettings, 'utf8')}    debounce: 0\n`;
/** The same, with each step running by itself 3 s after the one before unless someone takes the escalation. */
const ESCALATING = `escalate_after: 0.05\n${SETTINGS}`;

let browser: Browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: install Debian's package (apt-get install chromium), as .ci/run does. The status page tests need it.`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
after(() => browser?.close());

interface Demo {
  readonly bot: BotProcess;
  readonly webex: FakeWebex;
  readonly twilio: FakeTwilio;
  readonly statusUrl: string;
  /** Opens the page in a fresh browser context and waits until it listens for presses. */
  open(options?: { viewport?: { width: number; height: number }; bypassCSP?: boolean }): Promise<OpenPage>;
}

interface OpenPage {
  readonly page: Page;
  /** Script errors and console errors (a Content-Security-Policy violation among them). */
  readonly problems: string[];
}

/** The bot against fresh fakes (or in dry-run), stopped with everything it opened when the test ends. */
async function demo(t: TestContext, mode: 'live' | 'dry-run' = 'live', settings = SETTINGS): Promise<Demo> {
  const webex = await startFakeWebex({ token: TEST_TOKENS.webex });
  const twilio = await startFakeTwilio({ accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken });
  const bot = await startBot({ folder: workspace(settings), env: mode === 'live' ? liveEnv(webex.url, twilio.url) : {} });
  const contexts: BrowserContext[] = [];
  t.after(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    await bot.stop();
    await Promise.all([webex.close(), twilio.close()]);
  });
  const statusUrl = `${bot.baseUrl}/status/${TEST_TOKENS.button}`;
  return {
    bot, webex, twilio, statusUrl,
    async open({ viewport = DESKTOP, bypassCSP = false } = {}) {
      const context = await browser.newContext({ viewport, bypassCSP });
      contexts.push(context);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
      await page.goto(statusUrl);
      await page.getByText('Live:').waitFor();
      return { page, problems };
    },
  };
}

const pressButton = (page: Page) => page.getByRole('button', { name: 'Press', exact: true });
const result = (page: Page) => page.locator('#press-result');
const presses = (page: Page) => page.locator('#history li.press');

async function pressOnPage(page: Page, expected: RegExp): Promise<void> {
  await pressButton(page).click();
  await result(page).filter({ hasText: expected }).waitFor();
}

/** "summary: outcome" for each action of one press in the history, sorted (actions run concurrently). */
async function outcomesOf(press: Locator): Promise<string[]> {
  const lines: string[] = [];
  for (const item of await press.locator('.outcomes > li').all()) {
    lines.push(`${await item.locator('.summary').innerText()}: ${await item.locator('.badge').innerText()}`);
  }
  return lines.sort();
}

async function historyTitles(page: Page): Promise<string[]> {
  return presses(page).locator('.press-title').allInnerTexts();
}

async function json(url: string): Promise<{ status: number; body: StatusView }> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  return { status: response.status, body: await response.json() as StatusView };
}

describe('the status page', () => {
  test('three presses of the virtual button show the steps and outcomes the fakes received', async (t) => {
    const { open, webex, twilio, statusUrl } = await demo(t);
    const { page, problems } = await open();
    assert.match(await page.locator('#room').innerText(), /Not created yet/);

    await pressOnPage(page, /^Step 1 ran: 6 actions delivered\.$/);
    await pressOnPage(page, /^Step 2 ran: 3 actions delivered\.$/);
    await pressOnPage(page, /^Step 3 ran: 3 actions delivered\.$/);
    await presses(page).nth(2).waitFor();

    assert.deepEqual(await historyTitles(page), ['Step 3', 'Step 2', 'Step 1']);
    const progress = await page.locator('#progress').innerText();
    assert.match(progress, /Step 3\s+of 5/);
    assert.match(progress, /Next press: step 4/);
    assert.match(progress, /post dimension-data\.png with the message/);

    const [third, second, first] = await Promise.all([0, 1, 2].map((index) => outcomesOf(presses(page).nth(index))));
    assert.deepEqual(first, [
      `find or create the room "${ROOM}": delivered`,
      ...PEOPLE.map((email, index) => `invite ${email}${index < 2 ? ' as moderator' : ''}: delivered`),
      'post dashboard.png with the message: delivered',
    ].sort());
    assert.deepEqual(second, [
      `SMS to ${NUMBER}: delivered`, 'post IncidentReportForm.pdf with the message: delivered',
      `record "SMS 'Check Cisco Spark' sent to ${NUMBER}" in the room: delivered`,
    ].sort());
    assert.deepEqual(third, [
      `call ${NUMBER}: delivered`, `record "Calling ${NUMBER}" in the room: delivered`, 'post the message: delivered',
    ].sort());

    // What the page says was delivered is what the fakes hold.
    assert.deepEqual(webex.rooms.map((room) => room.title), [ROOM]);
    assert.deepEqual(webex.memberships.map((membership) => membership.personEmail).sort(), [...PEOPLE].sort());
    assert.deepEqual(webex.messages.map((message) => message.files.map((file) => file.name)).flat(), ['dashboard.png', 'IncidentReportForm.pdf']);
    assert.equal(webex.messages.length, [...first, ...second, ...third].filter((line) => /^(post|record) /.test(line)).length);
    assert.deepEqual(twilio.messages.map(({ to, body }) => ({ to, body })), [{ to: NUMBER, body: 'Check Cisco Spark' }]);
    assert.deepEqual(twilio.calls.map(({ to }) => to), [NUMBER]);
    const link = await page.getByRole('link', { name: 'Open the room in Webex' }).getAttribute('href');
    assert.equal(link, `webexteams://im?space=${Buffer.from(webex.rooms[0]!.id, 'base64url').toString().split('/').pop()}`);

    const { status, body } = await json(statusUrl);
    assert.equal(status, 200);
    assert.equal(body.stepReached, 3);
    assert.deepEqual(body.history.map((press) => press.step), [3, 2, 1]);
    assert.equal(body.next.step, 4);

    assert.deepEqual(problems, []);
  });

  test('a press made outside the page (curl, the bt.tn) shows up without a reload', async (t) => {
    const { open, bot } = await demo(t);
    const { page, problems } = await open();
    await page.evaluate('window.sameDocument = true');

    const answer = await bot.press();
    assert.equal(answer.body.step, 1);
    await presses(page).first().waitFor();
    assert.deepEqual(await historyTitles(page), ['Step 1']);
    assert.match(await page.locator('#progress').innerText(), /Step 1\s+of 5/);
    assert.equal(await page.evaluate('window.sameDocument'), true);
    assert.deepEqual(problems, []);
  });

  test('reset restarts the sequence at step 1 and keeps the history and the room', async (t) => {
    const { open, bot, webex } = await demo(t);
    await bot.press();
    await bot.press();
    const { page, problems } = await open();

    await page.getByText('Reset the sequence').click();
    await page.getByRole('button', { name: 'Restart at step 1' }).click();
    await result(page).filter({ hasText: 'Reset: the next press runs step 1.' }).waitFor();
    assert.match(await page.locator('#progress').innerText(), /Starting again\s+\(5 steps\)[\s\S]*Next press: step 1/);
    assert.deepEqual(await historyTitles(page), ['Step 2', 'Step 1']);

    await pressOnPage(page, /^Step 1 ran: 1 action delivered\.$/);
    assert.deepEqual(await historyTitles(page), ['Step 1', 'Step 2', 'Step 1']);
    assert.equal(webex.rooms.length, 1);
    assert.equal(webex.requests.filter((request) => request.method === 'DELETE').length, 0);
    assert.equal(webex.requests.filter((request) => request.path === '/v1/memberships').length, PEOPLE.length);
    assert.deepEqual(problems, []);
  });

  test('deleting the room asks first; then the next press creates it again and invites everyone', async (t) => {
    const { open, bot, webex } = await demo(t);
    await bot.press();
    const firstRoom = webex.rooms[0]!.id;
    const { page, problems } = await open();

    await page.getByText('Reset the sequence').click();
    await page.getByLabel(/Also delete the Webex room/).check();
    await page.getByRole('button', { name: 'Restart at step 1' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the room?' });
    await dialog.getByRole('button', { name: 'Keep the room' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(webex.requests.filter((request) => request.method === 'DELETE').length, 0);
    assert.match(await page.locator('#progress').innerText(), /Step 1\s+of 5/);

    await page.getByRole('button', { name: 'Restart at step 1' }).click();
    await dialog.getByRole('button', { name: 'Delete the room and restart' }).click();
    await result(page).filter({ hasText: 'the room was deleted' }).waitFor();
    assert.deepEqual(webex.requests.filter((request) => request.method === 'DELETE').map((request) => request.path), [`/v1/rooms/${firstRoom}`]);
    assert.equal(webex.rooms.length, 0);
    await page.locator('#room').filter({ hasText: 'Not created yet' }).waitFor();

    await pressOnPage(page, /^Step 1 ran: 6 actions delivered\.$/);
    assert.equal(webex.rooms.length, 1);
    assert.notEqual(webex.rooms[0]!.id, firstRoom);
    assert.deepEqual(webex.memberships.map((membership) => membership.personEmail).sort(), [...PEOPLE].sort());
    assert.deepEqual(problems, []);
  });

  test('the history shows an action that was retried and one that failed, with the reason', async (t) => {
    const { open, webex, twilio } = await demo(t);
    const { page, problems } = await open();
    webex.fail({ method: 'POST', path: '/v1/messages' }, { kind: 'status', status: 503 });
    twilio.fail({ method: 'POST', path: /\/Messages\.json$/ }, { kind: 'status', status: 400, body: { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 } });

    await pressOnPage(page, /^Step 1 ran/);
    await pressOnPage(page, /^Step 2: 1 of 3 actions failed \(SMS to \+352691496401\)/);
    assert.deepEqual(await outcomesOf(presses(page).nth(1)), [
      `find or create the room "${ROOM}": delivered`,
      ...PEOPLE.map((email, index) => `invite ${email}${index < 2 ? ' as moderator' : ''}: delivered`),
      'post dashboard.png with the message: retried: delivered after 2 attempts',
    ].sort());
    const failed = presses(page).first().locator('.outcomes > li').filter({ has: page.locator('.summary', { hasText: /^SMS to / }) });
    assert.equal(await failed.locator('.badge').innerText(), 'failed');
    assert.match(await failed.locator('.reason').innerText(), /answered 400: The 'To' number is not a valid phone number\. \(code 21211\)/);
    assert.equal(await presses(page).first().locator('.press-head .badge').innerText(), '1 failed');
    // Problems here are the 502 of the failed press, which the browser logs; nothing else.
    assert.deepEqual(problems.filter((problem) => !/status of 502/.test(problem)), []);
  });

  test('neither the page, its JSON nor its events show a token or credential, even when an action fails', async (t) => {
    const { bot, twilio, statusUrl } = await demo(t);
    twilio.fail({ method: 'POST' }, { kind: 'status', status: 400 });
    await bot.press();
    const failing = await bot.press();
    assert.equal(failing.body.ok, false);

    const html = await (await fetch(statusUrl)).text();
    const { body } = await json(statusUrl);
    const events = await firstEvent(`${statusUrl}/events`);
    assert.match(html, /SMS to \+352691496401/);
    assert.match(html, /answered 400/);
    for (const [name, secret] of Object.entries(TEST_TOKENS)) {
      for (const [form, text] of [['HTML', html], ['JSON', JSON.stringify(body)], ['events', events]] as const) {
        assert.ok(!text.includes(secret), `the ${form} shows the ${name} token`);
      }
    }
  });

  test('a wrong token shows nothing and changes nothing', async (t) => {
    const { open, bot, statusUrl } = await demo(t);
    await bot.press();
    const { page } = await open();
    const wrong = `${bot.baseUrl}/status/not-the-token`;

    const response = await page.goto(wrong);
    assert.equal(response?.status(), 404);
    const shown = await page.locator('body').innerText();
    assert.doesNotMatch(shown, new RegExp(`${ROOM}|Step|Press`));
    assert.equal((await json(wrong)).status, 404);
    assert.equal((await fetch(`${wrong}/events`)).status, 404);
    assert.equal((await fetch(`${wrong}/press`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`${wrong}/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"deleteRoom":true}' })).status, 404);
    const { body } = await json(statusUrl);
    assert.equal(body.stepReached, 1);
    assert.equal(body.history.length, 1);
    assert.equal(body.room.kind, 'webex');
  });

  test('in dry-run the page says so and shows what each press would have sent', async (t) => {
    const { open, statusUrl } = await demo(t, 'dry-run');
    const { page, problems } = await open();
    assert.match(await page.getByRole('note').innerText(), /^Dry-run\. .*not sent/);

    await pressOnPage(page, /^Step 1 ran in dry-run: 6 actions, shown in the history\.$/);
    assert.match(await page.locator('#room').innerText(), /Dry-run: there is no real room/);
    const outcomes = await outcomesOf(presses(page).first());
    assert.equal(outcomes.length, 6);
    for (const line of outcomes) assert.match(line, /: not sent \(dry-run\)$/);
    const post = presses(page).first().locator('.outcomes > li').filter({ hasText: 'post dashboard.png' });
    await post.getByText('What would have been sent').click();
    assert.match(await post.locator('pre').innerText(), /^POST https:\/\/webexapis\.com\/v1\/messages\n[\s\S]*"files": "\(file dashboard\.png, image\/png, \d+ bytes\)"/);

    const { body } = await json(statusUrl);
    assert.equal(body.dryRun, true);
    assert.ok(body.history[0]?.actions.every((action) => (action.wouldSend?.length ?? 0) > 0));
    assert.deepEqual(problems, []);
  });

  test('a press starts an escalation that counts down to its next step until someone takes it, then resolves it', async (t) => {
    const { open } = await demo(t, 'live', ESCALATING);
    const { page, problems } = await open({ bypassCSP: true });
    const { page: watcher } = await open();
    const incident = page.locator('#incident');
    const countdown = incident.locator('[data-countdown]');

    await pressOnPage(page, /^Step 1 ran/);
    await incident.filter({ hasText: 'Escalation 1: escalating' }).waitFor();
    // Seconds left, or NaN while no countdown shows (a timer that has just run its step has none until the next).
    const left = "Number(/^in (\\d+) s$/.exec(document.querySelector('#incident [data-countdown]')?.textContent)?.[1] ?? NaN)";
    // From 2 s or more, so that a smaller figure still comes before the step runs and the countdown starts over.
    const first = await (await page.waitForFunction(`${left} >= 2 && ${left}`)).jsonValue() as number;
    await page.waitForFunction(`${left} < ${first}`);
    await incident.filter({ hasText: /Step \d runs by itself in \d+ s unless someone takes it\./ }).waitFor();
    if (process.env.STATUS_SCREENSHOT) await page.screenshot({ path: path.resolve(repoRoot, process.env.STATUS_SCREENSHOT), fullPage: true });

    await page.getByLabel('Your name').fill('Alice Martin');
    await page.getByRole('button', { name: "I'm on it" }).click();
    await result(page).filter({ hasText: /^Acknowledged by Alice Martin \(via status page\) at \d\d:\d\d UTC\.$/ }).waitFor();
    // The page redraws the escalation only from the bot's events: this is the event stream, here and on another reader's page.
    await incident.filter({ hasText: /Escalation 1: acknowledged by Alice Martin \(via status page\) at / }).waitFor();
    await watcher.locator('#incident').filter({ hasText: 'acknowledged by Alice Martin' }).waitFor();
    assert.equal(await countdown.count(), 0);

    await page.getByRole('button', { name: "I'm on it" }).click();
    await result(page).filter({ hasText: /^Nothing changed: already taken by Alice Martin\.$/ }).waitFor();

    // From the keyboard: Tab from "I'm on it" reaches "Resolved", and Enter presses it.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.id'), 'resolve');
    await page.keyboard.press('Enter');
    await result(page).filter({ hasText: /^Resolved by Alice Martin \(via status page\) after / }).waitFor();
    await incident.filter({ hasText: /Escalation 1: resolved by Alice Martin/ }).waitFor();
    assert.match(await page.locator('#progress').innerText(), /Next press: step 1/);
    assert.equal(await countdown.count(), 0);

    await page.addScriptTag({ path: path.join(repoRoot, 'node_modules/axe-core/axe.min.js') });
    assert.deepEqual(await axeViolations(page), []);
    assert.deepEqual(problems.filter((problem) => !/status of 409/.test(problem)), []);
  });

  test('in dry-run the delete-room confirmation says nothing is deleted in Webex', async (t) => {
    const { open } = await demo(t, 'dry-run');
    const { page, problems } = await open();
    await pressOnPage(page, /^Step 1 ran in dry-run/);

    await page.getByText('Reset the sequence').click();
    await page.getByLabel(/Also delete the Webex room/).check();
    await page.getByRole('button', { name: 'Restart at step 1' }).click();
    const text = await page.getByRole('dialog', { name: 'Delete the room?' }).locator('#confirm-text').innerText();
    assert.match(text, /^Dry-run: nothing is deleted in Webex/);
    assert.doesNotMatch(text, /for everyone/);
    assert.deepEqual(problems, []);
  });

  test('on a phone the page fits, passes axe-core, and the button works from the keyboard', async (t) => {
    const { open, bot, twilio, statusUrl } = await demo(t);
    // Long words are what push a narrow page sideways: an error quoting a URL, a name typed without spaces.
    twilio.fail({ method: 'POST', path: /\/Messages\.json$/ }, { kind: 'status', status: 400, body: { code: 21211, status: 400,
      message: `The 'To' number ${NUMBER}0000000000 is not a valid phone number, see https://www.twilio.com/docs/errors/21211/${'x'.repeat(60)}` } });
    await bot.press();
    await bot.press();
    const { page, problems } = await open({ viewport: PHONE, bypassCSP: true });

    assert.ok(await page.evaluate('document.documentElement.scrollWidth <= innerWidth'), 'the page scrolls sideways on a phone');
    for (let tab = 0; tab < 5 && await page.evaluate('document.activeElement.id') !== 'press'; tab += 1) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.id'), 'press', 'Tab does not reach the virtual button');
    await page.keyboard.press('Enter');
    await result(page).filter({ hasText: /^Step 3 ran/ }).waitFor();
    await page.keyboard.press('Enter');
    await result(page).filter({ hasText: /^Step 4 ran/ }).waitFor();
    const longName = `${'on.call.engineer'.repeat(4)}@example.com`;
    assert.equal((await fetch(`${statusUrl}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: longName }) })).status, 200);
    await page.locator('#incident').filter({ hasText: 'acknowledged by' }).waitFor();
    await page.setViewportSize(NARROWEST);
    assert.ok(await page.evaluate('document.documentElement.scrollWidth <= 320'),
      `the page is ${await page.evaluate('document.documentElement.scrollWidth')} px wide at 320 px`);

    await page.addScriptTag({ path: path.join(repoRoot, 'node_modules/axe-core/axe.min.js') });
    await page.getByText('Reset the sequence').click();
    for (const viewport of [NARROWEST, PHONE, DESKTOP]) {
      await page.setViewportSize(viewport);
      assert.deepEqual(await axeViolations(page), [], `at ${viewport.width}x${viewport.height}`);
    }
    assert.deepEqual(problems, []);
  });
});

interface AxeResults {
  readonly violations: readonly { id: string; help: string; nodes: readonly { target: readonly string[] }[] }[];
}

/** What axe-core (already added to the page) finds against WCAG 2.1 A and AA and its best practices, one line each. */
async function axeViolations(page: Page): Promise<string[]> {
  const audit = await page.evaluate('axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] })') as AxeResults;
  return audit.violations.map(({ id, help, nodes }) => `${id}: ${help} (${nodes.map((node) => node.target.join(' ')).join(', ')})`);
}

/** The first server-sent event of a stream, as text. */
async function firstEvent(url: string): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = response.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString();
  }
  controller.abort();
  return text;
}
