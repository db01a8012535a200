// The status page as HTML: one self-contained document (inline CSS and script, no outside asset, so it
// works offline). The server renders every part; the script only presses, resets and swaps in the
// regions the bot pushes after each press. Every value is escaped; the page never holds a token.

import type { NextPressView, OutcomeView, PressView, PreviewAction, RoomView, StatusView } from './status-view.ts';

/** The parts of the page that change with each press, by element id. */
export interface StatusRegions {
  readonly room: string;
  readonly incident: string;
  readonly progress: string;
  readonly history: string;
}

export function statusRegions(view: StatusView): StatusRegions {
  return { room: roomHtml(view.room), incident: incidentHtml(view.incident), progress: progressHtml(view), history: historyHtml(view.history) };
}

/** The whole page; `nonce` lets its own style and script run under the Content-Security-Policy. */
export function statusPage(view: StatusView, nonce: string): string {
  const regions = statusRegions(view);
  const banner = view.dryRun
    ? `<p class="banner" role="note"><strong>Dry-run.</strong> Webex or Twilio credentials are missing, so those calls are not sent: each press shows what it would have sent.</p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Escalation status · bt.tn</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%231a7f37'/%3E%3C/svg%3E">
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header class="top">
  <h1><span class="logo" aria-hidden="true"></span>Escalation status</h1>
  <p id="connection" class="connection">Connecting to the bot…</p>
</header>
<main>
  ${banner}
  <div class="column">
    <section id="room" class="card" aria-labelledby="room-title">${regions.room}</section>
    <section class="card controls" aria-labelledby="controls-title">
      <h2 id="controls-title">Virtual button</h2>
      <button id="press" type="button" class="bttn" aria-describedby="press-hint">Press</button>
      <p id="press-hint" class="hint">Runs the next step, exactly as a press of the bt.tn does.</p>
      <p id="press-result" class="result" role="status" aria-live="polite"></p>
      <div class="incident-actions" role="group" aria-labelledby="incident-actions-title">
        <h3 id="incident-actions-title">Take or resolve the escalation</h3>
        <div id="incident">${regions.incident}</div>
        <p class="name"><label for="ack-name">Your name</label> <input id="ack-name" autocomplete="name" maxlength="80" placeholder="shown in the room"></p>
        <p class="take"><button id="ack" type="button" class="secondary">I'm on it</button> <button id="resolve" type="button" class="secondary">Resolved</button></p>
      </div>
      <details class="reset">
        <summary>Reset the sequence</summary>
        <p class="hint">The next press runs step 1 again. The history stays.</p>
        <p><input type="checkbox" id="delete-room"> <label for="delete-room">Also delete the Webex room, so the next press creates it again and invites everyone (a clean demo)</label></p>
        <button id="reset" type="button" class="secondary">Restart at step 1</button>
      </details>
      <noscript><p class="hint">The virtual button and live updates need JavaScript; the status is as of loading the page.</p></noscript>
    </section>
    <section id="progress" class="card" aria-labelledby="progress-title">${regions.progress}</section>
  </div>
  <section id="history" class="column" aria-labelledby="history-title">${regions.history}</section>
</main>
<dialog id="confirm-delete" aria-labelledby="confirm-title" aria-describedby="confirm-text">
  <h2 id="confirm-title">Delete the room?</h2>
  <p id="confirm-text">${view.dryRun
    ? `Dry-run: nothing is deleted in Webex; the bot forgets its rehearsal room “${esc(view.room.title)}”, and the next press takes a room again and runs step 1.`
    : `The room “${esc(view.room.title)}” and everything posted in it are deleted in Webex, for everyone (a moderated room the bot does not moderate is only left by the bot). The next press creates it again, invites the moderators and participants, and runs step 1.`}</p>
  <form method="dialog" class="dialog-actions">
    <button value="cancel" class="secondary" autofocus>Keep the room</button>
    <button value="delete" class="danger">Delete the room and restart</button>
  </form>
</dialog>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}

function roomHtml(room: RoomView): string {
  return `<h2 id="room-title">Room</h2>
<p class="room-name">${esc(room.title)}</p>
${roomLine(room)}`;
}

function progressHtml(view: StatusView): string {
  return `<h2 id="progress-title">Step reached</h2>
<p class="reached">${reachedHtml(view)}</p>
${stepsHtml(view)}
<p class="muted">${pressesLine(view)}</p>
${lateHtml(view.late)}${nextHtml(view.next, view.steps)}`;
}

/** "Step 2 of 5"; before the first step or once the sequence starts again (a reset, a resolve) "of 5" would read as part of the words, so the count stands apart. */
function reachedHtml(view: StatusView): string {
  if (view.stepReached > 0) return `<strong>Step ${view.stepReached}</strong> <span class="muted">of ${view.steps}</span>`;
  return `<strong>${view.pressCount === 0 ? 'None yet' : 'Starting again'}</strong> <span class="muted">(${view.steps} steps)</span>`;
}

/** Where the escalation stands, who took it, and when the next step comes by itself (counted down on the page). */
function incidentHtml(incident: StatusView['incident']): string {
  if (incident === undefined) return '<p class="incident">No escalation under way: the first step starts one.</p>';
  const who = (ack: NonNullable<typeof incident.acknowledged>) => `${esc(ack.name)} (via ${esc(ack.via)}) at ${timeHtml(ack.at)}`;
  const state = incident.status === 'resolved' && incident.resolved !== undefined ? `resolved by ${who(incident.resolved)}`
    : incident.status === 'acknowledged' && incident.acknowledged !== undefined ? `acknowledged by ${who(incident.acknowledged)}`
    : 'escalating, nobody has taken it yet';
  const next = incident.nextStepAt !== undefined
    ? ` Step ${incident.nextStepAt.step} runs by itself <span data-countdown="${esc(incident.nextStepAt.at)}">at ${timeHtml(incident.nextStepAt.at)}</span> unless someone takes it.`
    : incident.escalatesAgainAt !== undefined
      ? ` Unless resolved, it escalates again <span data-countdown="${esc(incident.escalatesAgainAt)}">at ${timeHtml(incident.escalatesAgainAt)}</span>.`
      : '';
  const reached = incident.reached.length === 0 ? ''
    : `<ul class="outcomes reached">${incident.reached.map((contact) => `<li>${esc(contact.status === 'queued' ? `${contact.kind === 'sms' ? 'SMS' : 'Call'} to ${contact.to}: sent, no report from Twilio yet` : contact.outcome)}</li>`).join('')}</ul>`;
  return `<p class="incident" data-status="${incident.status}"><strong>Escalation ${incident.number}:</strong> ${state}.${next}</p>${reached}`;
}

/** What an earlier press could not deliver in time and the bot still tries, so nobody believes it went out. */
function lateHtml(late: StatusView['late']): string {
  if (late.length === 0) return '';
  const items = late.map((item) => `<li><span class="badge warn">still being tried</span> <span class="what">${esc(item.summary)} (press ${item.pressNumber})`
    + `${item.reason === undefined ? '' : `<span class="reason">${esc(item.reason)}</span>`}`
    + `${item.nextAttemptAt === undefined ? '' : ` <span class="muted">next try ${timeHtml(item.nextAttemptAt)}</span>`}</span></li>`);
  return `<h3>Late</h3><ul class="outcomes">${items.join('')}</ul>`;
}

function roomLine(room: RoomView): string {
  switch (room.kind) {
    case 'not created': return '<p class="muted">Not created yet: the next press creates it and invites the moderators and participants.</p>';
    case 'dry-run': return '<p class="muted">Dry-run: there is no real room; the history shows what would have been posted.</p>';
    case 'webex': return room.link === undefined
      ? '<p class="muted">Open in Webex: search for the room by its title.</p>'
      : `<p><a class="open" href="${esc(room.link)}">Open the room in Webex</a></p>`;
  }
}

function stepsHtml(view: StatusView): string {
  const items = Array.from({ length: view.steps }, (_, index) => {
    const number = index + 1;
    const state = number <= view.stepReached ? 'done' : number === view.next.step ? 'next' : 'later';
    const label = state === 'done' ? 'done' : state === 'next' ? 'next' : 'to come';
    return `<li class="${state}"><span aria-hidden="true">${number}</span><span class="visually-hidden">Step ${number}: ${label}</span></li>`;
  });
  return `<ol class="steps">${items.join('')}</ol>`;
}

function pressesLine(view: StatusView): string {
  const count = view.pressCount === 1 ? '1 press counted' : `${view.pressCount} presses counted`;
  const presses = view.lastPressAt === undefined ? 'No press counted yet.' : `${count}, the last at ${timeHtml(view.lastPressAt)}.`;
  const heard = view.lastHeard === undefined ? ''
    : ` The button was last heard from at ${timeHtml(view.lastHeard.at)}${view.lastHeard.type === undefined ? '' : ` (it sent <code>${esc(view.lastHeard.type)}</code>)`}.`;
  return presses + heard;
}

function nextHtml(next: NextPressView, steps: number): string {
  const title = next.step === undefined
    ? `Next press: after the last step`
    : `Next press: step ${next.step}${next.restarts ? ' (the button was idle, so the sequence starts again)' : ''}`;
  const note = next.step === undefined ? `<p class="muted">All ${steps} steps have run: the next press only posts a reminder in the room. Reset to start again.</p>` : '';
  return `<h3>${esc(title)}</h3>${note}
<ul class="preview">${next.actions.map(previewHtml).join('')}</ul>`;
}

const KIND_LABEL: Record<PreviewAction['kind'], string> = { member: 'Invite', message: 'Post', notice: 'Post', record: 'Post', card: 'Card', sms: 'SMS', call: 'Call' };

function previewHtml(action: PreviewAction): string {
  const text = action.text?.trim();
  const shown = text === undefined ? ''
    : text.length <= 160 ? `<q>${esc(text)}</q>`
    : `<details><summary>What it posts</summary><pre>${esc(text)}</pre></details>`;
  return `<li><span class="kind">${KIND_LABEL[action.kind]}</span><span class="what">${esc(action.summary)}${shown}</span></li>`;
}

function historyHtml(history: readonly PressView[]): string {
  const list = history.length === 0
    ? '<p class="muted empty">No press yet. Press the virtual button, or the bt.tn.</p>'
    : `<ol class="history">${history.map(pressHtml).join('')}</ol>`;
  return `<h2 id="history-title">Press history <span class="muted">newest first</span></h2>${list}`;
}

/** What each kind of record is called in the history (a step is named by its number). */
const KIND_TITLE: Readonly<Record<Exclude<PressView['kind'], 'step'>, string>> = {
  'after last step': 'After the last step', debounced: 'Counted once', acknowledged: 'Taken', resolved: 'Resolved',
  reopened: 'Escalating again: taken, not resolved in time', reached: 'Twilio reports', command: 'Command in the room',
};

function pressHtml(press: PressView): string {
  const title = press.kind === 'step' ? `Step ${press.step}${press.trigger === 'timer' ? ', run by its timer' : ''}` : KIND_TITLE[press.kind];
  const verdict = press.kind === 'debounced' ? '<span class="badge muted-badge">pressed again within the debounce window</span>'
    : press.ok ? `<span class="badge ok">${press.dryRun ? 'ran in dry-run' : 'all delivered'}</span>`
    : `<span class="badge failed">${press.actions.filter((action) => action.outcome === 'failed' || action.outcome === 'given up').length} failed</span>`;
  const actions = press.actions.length === 0 ? '' : `<ul class="outcomes">${press.actions.map(outcomeHtml).join('')}</ul>`;
  return `<li class="press${press.ok ? '' : ' not-ok'}">
<h3 class="press-head"><span class="press-title">${esc(title)}</span> ${timeHtml(press.at)} ${verdict}</h3>
<p class="muted press-meta">Press ${esc(press.id)} · ${press.durationMs} ms</p>${actions}</li>`;
}

const OUTCOME_CLASS: Record<OutcomeView['outcome'], string> = {
  'delivered': 'ok', 'retried': 'warn', 'failed': 'failed', 'not sent (dry-run)': 'dry',
  'still being tried': 'warn', 'delivered late': 'warn', 'given up': 'failed',
};

function outcomeHtml(action: OutcomeView): string {
  const label = action.outcome === 'retried' ? `retried: delivered after ${action.attempts} attempts` : action.outcome;
  const reason = action.reason === undefined ? '' : `<span class="reason">${esc(action.reason)}</span>`;
  const wouldSend = action.wouldSend === undefined ? '' : `<details><summary>What would have been sent</summary><pre>${esc(action.wouldSend.map((request) =>
    `${request.method} ${request.url}${request.body === undefined ? '' : `\n${JSON.stringify(request.body, null, 2)}`}`).join('\n\n'))}</pre></details>`;
  return `<li><span class="badge ${OUTCOME_CLASS[action.outcome]}">${esc(label)}</span> <span class="what"><span class="summary">${esc(action.summary)}</span>${reason}${wouldSend}</span></li>`;
}

/** In UTC from the server; the script shows it in the reader's own time zone. */
function timeHtml(iso: string): string {
  return `<time datetime="${esc(iso)}">${esc(iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'))}</time>`;
}

export function esc(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --paper: #ffffff; --ground: #f3f4f6;
  --green: #1a7f37; --green-dark: #116329; --red: #b42318; --focus: #0550ae; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--ground); overflow-wrap: break-word; }
.top { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 0 1rem; padding: .75rem 1rem; background: var(--paper); border-bottom: 1px solid var(--line); }
h1 { margin: 0; font-size: 1.25rem; display: flex; align-items: center; gap: .5rem; }
.logo { width: 1rem; height: 1rem; border-radius: 50%; background: var(--green); display: inline-block; }
.connection { margin: 0; font-size: .875rem; color: var(--muted); }
/* One column no wider than the screen, whatever a name, an error or a link holds; long words break. */
main { max-width: 72rem; margin: 0 auto; padding: 1rem; display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem; }
@media (min-width: 60rem) { main { grid-template-columns: minmax(0, 1fr) minmax(0, 1.25fr); align-items: start; } .banner { grid-column: 1 / -1; } }
.column { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1rem; min-width: 0; }
.card, #history { background: var(--paper); border: 1px solid var(--line); border-radius: .75rem; padding: 1rem; }
h2 { margin: 0 0 .5rem; font-size: 1rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
h3 { margin: 1rem 0 .5rem; font-size: 1.05rem; }
p { margin: .25rem 0; }
.muted { color: var(--muted); font-weight: normal; }
h2 .muted { text-transform: none; letter-spacing: 0; font-size: .875rem; }
.banner { margin: 0; padding: .75rem 1rem; border-radius: .75rem; background: #ddf4ff; border: 1px solid #54aeff; color: #0a3069; }
.room-name { font-size: 1.25rem; font-weight: 600; }
a { color: var(--focus); }
a.open { display: inline-block; padding: .5rem 0; font-weight: 600; }
.reached { font-size: 1.5rem; }
.steps { list-style: none; display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; margin: .5rem 0; }
.steps li { width: 2.25rem; height: 2.25rem; border-radius: 50%; display: grid; place-items: center; font-weight: 600; border: 2px solid var(--line); color: var(--muted); }
.steps li.done { background: var(--green); border-color: var(--green); color: #fff; }
.steps li.next { border-color: var(--green); color: var(--green-dark); border-style: dashed; }
.preview, .outcomes, .history { list-style: none; padding: 0; margin: 0; }
.preview li { display: grid; grid-template-columns: 4.5rem minmax(0, 1fr); gap: .5rem; padding: .4rem 0; border-top: 1px solid var(--ground); }
.kind { font-size: .8rem; font-weight: 600; text-transform: uppercase; color: var(--muted); padding-top: .15rem; }
.what { overflow-wrap: anywhere; }
q { display: block; color: var(--muted); font-style: italic; }
details summary { cursor: pointer; color: var(--focus); }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--ground); padding: .5rem; border-radius: .5rem; font-size: .8rem; max-height: 16rem; overflow: auto; margin: .25rem 0; }
.controls { text-align: center; }
.bttn { display: block; margin: .5rem auto; width: 9rem; height: 9rem; border-radius: 50%; border: 0; font-family: inherit; font-size: 1.75rem; font-weight: 700; letter-spacing: .02em; color: #fff; cursor: pointer;
  background: radial-gradient(circle at 35% 30%, #2c974b, var(--green) 55%, var(--green-dark)); box-shadow: 0 .4rem 0 #0b4a1f, 0 .6rem 1.2rem rgba(0,0,0,.25); }
.bttn:active, .bttn[aria-disabled="true"] { transform: translateY(.3rem); box-shadow: 0 .1rem 0 #0b4a1f, 0 .2rem .4rem rgba(0,0,0,.25); }
.bttn[aria-disabled="true"] { cursor: progress; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 3px; }
.hint { color: var(--muted); font-size: .9rem; }
.result { min-height: 1.5rem; font-weight: 600; }
.result[data-tone="ok"] { color: var(--green-dark); }
.result[data-tone="failed"] { color: var(--red); }
.incident-actions { margin-top: 1rem; border-top: 1px solid var(--line); padding-top: .25rem; }
.incident { text-align: left; margin: .5rem 0; padding: .5rem .75rem; border-radius: .5rem; border-left: .3rem solid var(--line); background: var(--ground); }
.incident[data-status="escalating"] { border-left-color: var(--red); background: #ffebe9; }
.incident[data-status="acknowledged"] { border-left-color: #54aeff; background: #ddf4ff; }
.incident[data-status="resolved"] { border-left-color: var(--green); background: #dafbe1; }
.incident [data-countdown] { font-weight: 600; font-variant-numeric: tabular-nums; }
.name label { font-weight: 600; }
#ack-name { font: inherit; padding: .45rem .6rem; border: 1px solid #8c959f; border-radius: .5rem; width: 14rem; max-width: 100%; min-height: 2.75rem; }
.take { display: flex; flex-wrap: wrap; justify-content: center; gap: .5rem; }
.reset { text-align: left; margin-top: 1rem; border-top: 1px solid var(--line); padding-top: .75rem; }
.reset summary { font-weight: 600; padding: .25rem 0; }
.reset input { width: 1.25rem; height: 1.25rem; vertical-align: middle; }
button.secondary, button.danger { font: inherit; font-weight: 600; padding: .6rem 1rem; border-radius: .5rem; cursor: pointer; min-height: 2.75rem; }
button.secondary { background: var(--paper); color: var(--ink); border: 1px solid #8c959f; }
button.danger { background: var(--red); color: #fff; border: 1px solid var(--red); }
#history h2 { margin-bottom: .75rem; }
.press { border-top: 1px solid var(--line); padding: .75rem 0; }
.press:first-child { border-top: 0; padding-top: 0; }
.press-head { margin: 0; display: flex; flex-wrap: wrap; align-items: center; gap: .25rem .6rem; font-size: 1rem; }
.press-head time { font-weight: normal; color: var(--muted); font-size: .9rem; }
.press-meta { font-size: .8rem; }
/* A badge too wide to leave the text room puts the text on the next line instead of squeezing it. */
.outcomes li { padding: .3rem 0; display: flex; flex-wrap: wrap; align-items: baseline; gap: .15rem .5rem; }
.outcomes .what { flex: 1 1 10rem; min-width: 0; }
.badge { display: inline-block; max-width: 100%; font-size: .78rem; font-weight: 600; padding: .05rem .5rem; border-radius: 1rem; }
.badge.ok { background: #dafbe1; color: #116329; }
.badge.warn { background: #fff8c5; color: #6c4400; }
.badge.failed { background: #ffebe9; color: #a40e26; }
.badge.dry { background: #ddf4ff; color: #0a3069; }
.badge.muted-badge { background: var(--ground); color: var(--muted); }
.reason { display: block; color: var(--red); font-size: .9rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
dialog { border: 1px solid var(--line); border-radius: .75rem; max-width: min(28rem, calc(100vw - 2rem)); padding: 1.25rem; color: var(--ink); }
dialog::backdrop { background: rgba(0,0,0,.4); }
dialog h2 { text-transform: none; letter-spacing: 0; color: var(--ink); font-size: 1.25rem; }
.dialog-actions { display: flex; flex-wrap: wrap; gap: .5rem; justify-content: flex-end; margin-top: 1rem; }
@media (prefers-reduced-motion: no-preference) { .bttn { transition: transform .08s, box-shadow .08s; } }
`;

// Plain browser JavaScript, kept as text: the bot's TypeScript has no DOM types, and the page needs no build.
const SCRIPT = `
'use strict';
(() => {
  const base = location.pathname.replace(/\\/+$/, '');
  const byId = (id) => document.getElementById(id);
  const pressButton = byId('press');
  const ackButton = byId('ack');
  const resolveButton = byId('resolve');
  const ackName = byId('ack-name');
  const resetButton = byId('reset');
  const deleteRoom = byId('delete-room');
  const dialog = byId('confirm-delete');
  const result = byId('press-result');
  const connection = byId('connection');
  let busy = false;

  function localTimes(root) {
    for (const time of root.querySelectorAll('time[datetime]')) {
      const at = new Date(time.getAttribute('datetime'));
      if (Number.isNaN(at.getTime())) continue;
      const today = at.toDateString() === new Date().toDateString();
      time.textContent = (today ? '' : at.toLocaleDateString() + ' ') + at.toLocaleTimeString();
    }
  }

  // "at 17:39:50" from the server (right without JavaScript) becomes "in 42 s" at once, then every second.
  function countdowns() {
    for (const element of document.querySelectorAll('[data-countdown]')) {
      const left = Math.max(0, Math.round((new Date(element.dataset.countdown).getTime() - Date.now()) / 1000));
      element.textContent = 'in ' + (left >= 60 ? Math.floor(left / 60) + ' min ' + (left % 60) + ' s' : left + ' s');
    }
  }

  function show(regions) {
    for (const [id, html] of Object.entries(regions)) {
      const region = byId(id);
      if (region === null) continue;
      region.innerHTML = html;
      localTimes(region);
    }
    countdowns();
  }

  function say(text, tone) {
    result.textContent = text;
    result.dataset.tone = tone;
  }

  function plural(count, word) {
    return count + ' ' + word + (count === 1 ? '' : 's');
  }

  function describePress(answer) {
    if (answer.kind === 'debounced') return 'Counted once: the button was pressed again within the debounce window.';
    const what = answer.kind === 'step' ? 'Step ' + answer.step : 'After the last step';
    const actions = answer.actions.length;
    if (!answer.ok) return what + ': ' + answer.failed.length + ' of ' + plural(actions, 'action') + ' failed (' + answer.failed.join(', ') + '). Details in the history.';
    if (answer.dryRun) return what + ' ran in dry-run: ' + plural(actions, 'action') + ', shown in the history.';
    if (answer.pending) return what + ': ' + plural(answer.pending.length, 'action') + ' still being tried (' + answer.pending.join(', ') + '); the rest delivered.';
    return what + ' ran: ' + plural(actions, 'action') + ' delivered.';
  }

  function describeReset(answer, withRoom) {
    if (answer.error) return 'The next press runs step 1, but ' + answer.error;
    if (answer.roomDeleted) return 'Reset: the room was deleted. The next press creates it again, invites everyone and runs step 1.';
    return withRoom ? 'Reset: there was no room to delete. The next press runs step 1.' : 'Reset: the next press runs step 1.';
  }

  async function post(path, body) {
    const response = await fetch(base + path, {
      method: 'POST',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 404) throw new Error('the bot no longer knows this page (was its token changed?)');
    return response.json();
  }

  // aria-disabled rather than disabled: the button keeps the keyboard focus, so Enter can press again.
  async function busyWith(button, work) {
    if (busy) return;
    busy = true;
    button.setAttribute('aria-disabled', 'true');
    try {
      await work();
    } catch (error) {
      say('The bot did not answer: ' + error.message, 'failed');
    } finally {
      busy = false;
      button.removeAttribute('aria-disabled');
    }
  }

  pressButton.addEventListener('click', () => busyWith(pressButton, async () => {
    say('Pressing…', 'pending');
    const answer = await post('/press', {});
    say(describePress(answer), answer.ok ? 'ok' : 'failed');
  }));

  for (const [button, path] of [[ackButton, '/ack'], [resolveButton, '/resolve']]) {
    button.addEventListener('click', () => busyWith(button, async () => {
      say(path === '/ack' ? 'Taking the escalation…' : 'Resolving…', 'pending');
      const answer = await post(path, { name: ackName.value.trim() });
      say(answer.changed ? answer.line + '.' : 'Nothing changed: ' + answer.why + '.', answer.changed ? 'ok' : 'failed');
    }));
  }

  // The countdown to the next step: the page's clock, told once a second.
  setInterval(countdowns, 1000);

  function reset(withRoom) {
    return busyWith(resetButton, async () => {
      say('Resetting…', 'pending');
      const answer = await post('/reset', { deleteRoom: withRoom });
      deleteRoom.checked = false;
      say(describeReset(answer, withRoom), answer.error ? 'failed' : 'ok');
    });
  }

  resetButton.addEventListener('click', () => {
    if (!deleteRoom.checked) return reset(false);
    dialog.returnValue = '';
    dialog.showModal();
  });
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'delete') reset(true);
  });

  const events = new EventSource(base + '/events');
  events.addEventListener('status', (event) => show(JSON.parse(event.data)));
  events.addEventListener('open', () => { connection.textContent = 'Live: presses show up as they arrive.'; });
  events.addEventListener('error', () => { connection.textContent = 'Lost the bot; reconnecting…'; });
  localTimes(document);
  countdowns();
})();
`;
