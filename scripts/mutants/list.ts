// The curated mutants of `npm run mutants`: single-point bugs a developer could write by accident in the code
// that guards people and secrets. Each is a literal search-and-replace in one file (the search text must occur
// there exactly once), with the test files that should catch it. A mutant no test can catch says why in
// `survives`, and the README's testing section repeats it.

export interface Mutant {
  /** What the bug does, as a reviewer would describe it. */
  readonly bug: string;
  /** Relative to the repository root. */
  readonly file: string;
  readonly search: string;
  readonly replace: string;
  /** The test files that should fail with this mutant. */
  readonly tests: readonly string[];
  /** Why no test can catch it (an equivalent or a second line of defence), when that is so. */
  readonly survives?: string;
}

const WEBHOOK = 'bot/src/server/webex-webhook.ts';
const CALLBACKS = 'bot/src/server/twilio-callbacks.ts';
const APP = 'bot/src/server/app.ts';
const STATUS = 'bot/src/server/status-routes.ts';
const ESCALATIONS = 'bot/src/press/escalations.ts';
const SCRUB = 'bot/src/http/scrub.ts';
const MAIN = 'bot/src/main.ts';
const DELIVER = 'bot/src/press/deliver.ts';
const TWILIO = 'bot/src/twilio/client.ts';
const TRANSPORT = 'bot/src/http/transport.ts';
const OUTBOX_CORE = 'bot/src/core/outbox.ts';
const STATE_CORE = 'bot/src/core/state.ts';
const OUTBOX = 'bot/src/press/outbox.ts';
const RUN_PRESS = 'bot/src/press/run-press.ts';
const BUTTON = 'bot/src/press/button.ts';
const SHAPE = 'bot/src/settings/shape.ts';
const INCIDENT = 'bot/src/core/incident.ts';
const CLAIMS = 'bot/src/core/claims.ts';

const t = (...names: string[]) => names.map((name) => `bot/test/${name}.test.ts`);

export const MUTANTS: readonly Mutant[] = [
  // The Webex webhook's signature.
  {
    bug: 'the Webex signature is checked over the body parsed and written again, not over the bytes received',
    file: WEBHOOK, search: "createHmac('sha1', secret).update(raw)", replace: "createHmac('sha1', secret).update(JSON.stringify(JSON.parse(raw.toString('utf8'))))",
    tests: t('webex-ack'),
  },
  {
    bug: 'a Webex delivery is taken whatever its signature',
    file: WEBHOOK, search: "secret === undefined || !signedWith(raw, req.get('x-spark-signature'), secret)", replace: 'secret === undefined',
    tests: t('webex-ack'),
  },
  {
    bug: 'before the bot has a webhook secret, every Webex delivery is taken',
    file: WEBHOOK, search: "secret === undefined || !signedWith(raw, req.get('x-spark-signature'), secret)", replace: "secret !== undefined && !signedWith(raw, req.get('x-spark-signature'), secret)",
    tests: t('webex-ack'),
  },
  {
    bug: 'a Webex signature of the wrong length reaches the comparison (which throws: 500 instead of 403)',
    file: WEBHOOK, search: 'const SIGNATURE = /^[0-9a-f]{40}$/i;', replace: 'const SIGNATURE = /^[0-9a-f]{20,40}$/i;',
    tests: t('webex-ack'),
  },
  // Twilio's callback signatures.
  {
    bug: 'a Twilio callback with any signature is taken',
    file: CALLBACKS, search: 'if (!signature || !(await signedByTwilio(signature, publicUrl + req.originalUrl, body as Form))) {', replace: 'if (!signature) {',
    tests: t('twilio-ack'),
  },
  {
    bug: 'a Twilio callback is checked against the address the bot sees behind the proxy, not the public URL Twilio signed',
    file: CALLBACKS, search: 'publicUrl + req.originalUrl, body as Form', replace: "`${req.protocol}://${req.get('host') ?? ''}${req.originalUrl}`, body as Form",
    tests: t('twilio-ack'),
  },
  {
    bug: 'an SMS ACK from a number outside the escalation acknowledges it',
    file: CLAIMS, search: "      if (!incident.reached.includes(take.number)) return { ok: false, why: 'not a number this escalation texted or called' };\n", replace: '',
    tests: t('claims', 'acknowledgement'),
  },
  {
    bug: 'a replayed SMS (the same MessageSid) takes the escalation again',
    file: CLAIMS, search: "      if (incident.messageSids.includes(take.messageSid)) return { ok: false, why: 'this message was already used' };\n", replace: '',
    tests: t('acknowledgement'),
  },
  {
    bug: 'a copy of the card in another room takes the escalation',
    file: CLAIMS, search: `      if (take.roomId !== state.room?.id) return { ok: false, why: "a card outside the bot's room" };\n`, replace: '',
    tests: t('claims', 'acknowledgement'),
  },
  {
    bug: 'a command mentioning the bot in another room acts on a button\'s escalation',
    file: ESCALATIONS, search: "case 'room': return this.all.find((escalation) => escalation.store.current.room?.id === address.roomId);", replace: "case 'room': return this.all[0];",
    tests: t('room-console'),
  },
  {
    bug: 'any key pressed on the call acknowledges, not only 1',
    file: CALLBACKS, search: "if (digits !== '1') return", replace: 'if (digits === undefined) return',
    tests: t('twilio-ack'),
  },
  // The button token.
  {
    bug: 'the token of the list of buttons is compared by its length, not its value',
    file: APP, search: 'timingSafeEqual(digest(candidate), want)', replace: 'candidate.length === expected.length',
    tests: t('buttons'),
  },
  {
    bug: 'any token opens the first button (its press URL and its status page)',
    file: ESCALATIONS, search: 'if (timingSafeEqual(given, want)) found = this.all[index];', replace: 'found ??= this.all[index];',
    tests: t('presses'),
  },
  // Scrubbing secrets.
  {
    bug: 'the Twilio auth token is left out of the secrets masked in error texts and in the log',
    file: MAIN, search: 'const secrets = [runtime.buttonToken, ...tokens, settings.webex.token, settings.twilio.authToken, settings.twilio.accountSid];',
    replace: 'const secrets = [runtime.buttonToken, ...tokens, settings.webex.token, settings.twilio.accountSid];',
    tests: t('secrets'),
  },
  {
    bug: 'the Webex token is left out of the secrets masked in error texts and in the log',
    file: MAIN, search: 'const secrets = [runtime.buttonToken, ...tokens, settings.webex.token, settings.twilio.authToken, settings.twilio.accountSid];',
    replace: 'const secrets = [runtime.buttonToken, ...tokens, settings.twilio.authToken, settings.twilio.accountSid];',
    tests: t('secrets'),
  },
  {
    bug: 'the Twilio account SID is left out of the secrets masked in error texts and in the log',
    file: MAIN, search: 'const secrets = [runtime.buttonToken, ...tokens, settings.webex.token, settings.twilio.authToken, settings.twilio.accountSid];',
    replace: 'const secrets = [runtime.buttonToken, ...tokens, settings.webex.token, settings.twilio.authToken];',
    tests: t('secrets'),
    survives: 'second line of defence: every account SID (AC and 32 hex digits) is masked by its pattern in scrub.ts, which its own mutant shows is needed',
  },
  {
    bug: 'account SIDs are no longer masked by their pattern',
    file: SCRUB, search: "  [/\\b(AC|SK)[0-9a-fA-F]{32}\\b/g, '$1…'],\n", replace: '',
    tests: t('presses', 'reliability'),
  },
  {
    bug: 'the token in the bot\'s own press and status URLs is no longer masked',
    file: SCRUB, search: "  [/\\/(press|status)\\/[^\\s/?#\"']+/g, '/$1/…'],\n", replace: '',
    tests: t('http-edge'),
    survives: 'second line of defence: the button token is also in the list of secrets every log line and answer masks, and no text the bot shows quotes a press or status URL with another token',
  },
  {
    bug: 'a given secret is masked only when it is very long',
    file: SCRUB, search: 'secret.length >= 8', replace: 'secret.length >= 80',
    tests: t('secrets'),
  },
  {
    bug: "the reset's answer shows Webex's refusal to delete the room unmasked",
    file: STATUS, search: 'error: scrubSecrets(outcome.error, services.secrets)', replace: 'error: outcome.error',
    tests: t('secrets'),
  },
  // Exactly once: the journal and the look-ups in Twilio's lists.
  {
    bug: "a look-up in Twilio's list takes another button's SMS of the same words, or one sent earlier",
    file: STATE_CORE, search: '  return new Set([...stored.shared.sent, ...made]);', replace: '  return new Set([...made]);',
    tests: t('buttons'),
  },
  {
    bug: "a look-up in Twilio's list takes an SMS or call already claimed by another step",
    file: DELIVER, search: 'exclude: services.store.claimed() }', replace: 'exclude: new Set<string>() }',
    tests: t('exactly-once'),
  },
  {
    bug: "a look-up in Twilio's list takes an SMS of any words",
    file: TWILIO, search: "'the list of messages', (item) => item.body === body)", replace: "'the list of messages', () => true)",
    tests: t('exactly-once'),
  },
  {
    bug: 'delivered SIDs are not remembered once their press is folded away',
    file: OUTBOX_CORE, search: 'return { ...shared, sent: [entry.providerId, ...shared.sent].slice(0, SENT_LIMIT) };', replace: 'return shared;',
    tests: t('exactly-once'),
  },
  {
    bug: 'an SMS whose answer was lost is sent again without looking in Twilio first',
    file: DELIVER, search: 'return (entry.uncertain ? await twilio.findSms(', replace: 'return (false ? await twilio.findSms(',
    tests: t('presses', 'exactly-once'),
  },
  {
    bug: 'a call whose answer was lost is placed again without looking in Twilio first',
    file: DELIVER, search: 'return (entry.uncertain ? await twilio.findCall(', replace: 'return (false ? await twilio.findCall(',
    tests: t('presses', 'exactly-once'),
  },
  {
    bug: 'the look-up starts after the action was journaled, missing what Twilio dated a little earlier',
    file: DELIVER, search: 'Date.parse(entry.journaledAt) - CLOCK_MARGIN_MS', replace: 'Date.parse(entry.journaledAt) + CLOCK_MARGIN_MS',
    tests: t('presses', 'exactly-once'),
  },
  {
    bug: 'a 5xx is taken as proof that nothing happened',
    file: TRANSPORT, search: 'if (error instanceof ApiError) return error.status >= 500;', replace: 'if (error instanceof ApiError) return false;',
    tests: t('presses', 'exactly-once'),
  },
  {
    bug: 'a request that got no answer is taken as never sent',
    file: TRANSPORT, search: "if (error instanceof NetworkError) return error.failure.kind !== 'not sent';", replace: 'if (error instanceof NetworkError) return false;',
    tests: t('exactly-once', 'presses'),
  },
  {
    bug: 'an attempt forgets that an earlier one may have taken effect',
    file: OUTBOX_CORE, search: 'const uncertain = entry.uncertain || result.uncertain;', replace: 'const uncertain = result.uncertain;',
    tests: t('outbox', 'exactly-once', 'presses'),
  },
  {
    bug: 'after a restart, actions cut by the crash are sent again without checking',
    file: OUTBOX, search: '{ ...entry, uncertain: true, late: true }', replace: '{ ...entry, late: true }',
    tests: t('presses'),
  },
  {
    bug: 'the press goes on when its journal cannot be written',
    file: RUN_PRESS, search: "pressRecord(base, entries)), 'process-crash');", replace: "pressRecord(base, entries)), 'process-crash').catch(() => undefined);",
    tests: t('presses'),
  },
  // Debounce.
  {
    bug: 'the default debounce window is 0.2 s, not 2 s',
    file: SHAPE, search: "unit: 'seconds', default: 2 }", replace: "unit: 'seconds', default: 0.2 }",
    tests: t('presses'),
  },
  {
    bug: 'the debounce window runs from the last press, debounced or not',
    file: BUTTON, search: '    if (arrival - this.lastArrival < this.debounceMs) return this.debounced(id, heard);\n    this.lastArrival = arrival;',
    replace: '    const last = this.lastArrival;\n    this.lastArrival = arrival;\n    if (arrival - last < this.debounceMs) return this.debounced(id, heard);',
    tests: t('presses'),
  },
  // A button's event, and a command in the room, are handled once.
  {
    bug: "an event id handled before a restart is run again (only the ones in flight are known)",
    file: BUTTON, search: '    if (known !== undefined) return Promise.resolve(', replace: '    if (known !== undefined && known.eid === "") return Promise.resolve(',
    tests: t('button-contract', 'room-console'),
  },
  // The acknowledgement's effect on timers.
  {
    bug: '"I\'m on it" leaves the step\'s timer in place',
    file: INCIDENT, search: "acknowledged: { ...who, at: now.toISOString() }, timer } }", replace: "acknowledged: { ...who, at: now.toISOString() }, timer: timer ?? incident.timer } }",
    tests: t('escalation'),
  },
  {
    bug: 'a press after "I\'m on it" arms the next step\'s timer again',
    file: INCIDENT, search: "const timer = incident.status === 'acknowledged' ? incident.timer : timerAfter(settings, step, now);", replace: 'const timer = timerAfter(settings, step, now);',
    tests: t('escalation'),
  },
  {
    bug: 'a timer fires for a step the sequence has moved past',
    file: INCIDENT, search: "incident.status === 'escalating' && current.step === state.nextStep", replace: "incident.status === 'escalating'",
    tests: t('incident', 'escalation'),
  },
  {
    bug: 'resolving leaves the timer in the state',
    file: INCIDENT, search: "status: 'resolved', resolved: { ...who, at: now.toISOString() }, timer: undefined }", replace: "status: 'resolved', resolved: { ...who, at: now.toISOString() } }",
    tests: t('incident', 'escalation'),
    survives: "equivalent: the timer of a resolved escalation is ignored where it could act (stillArmed, StepTimers.sync, the status page), so the one left in the state changes nothing",
  },
  // The status page follows presses made elsewhere.
  {
    bug: 'a press made elsewhere is not broadcast to open status pages',
    file: STATUS, search: '  button.onPress(broadcast);\n', replace: '',
    tests: t('http-edge'),
  },
];
