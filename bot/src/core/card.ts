// The incident card posted in the Webex room: where the escalation stands, and the buttons that
// acknowledge or resolve it. Pure: the Webex client posts it, the webhook route reads its clicks back.

import type { IncidentStatus } from './state.ts';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
/** The newest Adaptive Cards version Webex renders ("Buttons and Cards" guide). */
const CARD_VERSION = '1.3';

export type CardState = IncidentStatus;
export type CardAction = 'ack' | 'resolve';

export interface CardView {
  /** For people: "Escalation 3". */
  readonly incident: number;
  /** The escalation's unguessable id, which the buttons submit. */
  readonly escalation: string;
  readonly step: number;
  readonly steps: number;
  readonly state: CardState;
  /** ISO time of the next step, while a timer runs. */
  readonly nextStepAt?: string;
  /** `at`: ISO time. */
  readonly acknowledgedBy?: { readonly name: string; readonly via: string; readonly at: string };
  /** `after`: how long the incident lasted, as the caller words it ("12 min"). */
  readonly resolvedBy?: { readonly name: string; readonly after: string };
}

export interface IncidentCard {
  readonly attachments: readonly [{ readonly contentType: typeof ADAPTIVE_CARD; readonly content: object }];
  /** What clients without cards show (and what notifications quote). */
  readonly markdown: string;
}

/** What a click on one of the card's buttons submits. */
export interface CardSubmission {
  readonly action: CardAction;
  /** The escalation's id (not its number: a card of an earlier escalation, or of a lost state file, never matches a later one). */
  readonly incident: string;
}

/** An escalation id: 128 random bits in base64url (press/run-press.ts makes them). */
export const ESCALATION_ID_LENGTH = 22;
export const ESCALATION_ID = /^[A-Za-z0-9_-]{22}$/;

const BUTTONS: Readonly<Record<CardAction, string>> = { ack: "I'm on it", resolve: 'Resolved' };

export function incidentCard(view: CardView): IncidentCard {
  const title = `Escalation ${view.incident}: step ${view.step} of ${view.steps}`;
  const facts = cardFacts(view);
  const content = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: CARD_VERSION,
    body: [
      { type: 'TextBlock', text: title, size: 'Medium', weight: 'Bolder', wrap: true },
      { type: 'FactSet', facts: facts.map(([label, value]) => ({ title: label, value })) },
    ],
    actions: buttonsFor(view.state).map((action) => ({
      type: 'Action.Submit', title: BUTTONS[action], data: { action, incident: view.escalation } satisfies CardSubmission,
    })),
  };
  const lines = [`**${title}**`, ...facts.map(([label, value]) => `- ${label}: ${value}`)];
  if (view.state !== 'resolved') lines.push('', '_Open this message in a Webex app that shows cards to answer it._');
  return { attachments: [{ contentType: ADAPTIVE_CARD, content }], markdown: lines.join('\n') };
}

/**
 * The click, when `inputs` are what one of our buttons submits; undefined for anything else (another
 * bot's card, a card of ours from an older layout), which the caller ignores. Our cards have no input
 * fields, so the inputs are exactly the button's data.
 */
export function parseCardSubmission(inputs: unknown): CardSubmission | undefined {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) return undefined;
  const { action, incident, ...rest } = inputs as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return undefined;
  if (action !== 'ack' && action !== 'resolve') return undefined;
  if (typeof incident !== 'string' || !ESCALATION_ID.test(incident)) return undefined;
  return { action, incident };
}

/** Acknowledging is offered until someone took the incident; resolving until it is resolved. */
function buttonsFor(state: CardState): CardAction[] {
  switch (state) {
    case 'escalating': return ['ack', 'resolve'];
    case 'acknowledged': return ['resolve'];
    case 'resolved': return [];
  }
}

function cardFacts(view: CardView): [string, string][] {
  const facts: [string, string][] = [['State', STATE_WORDS[view.state]]];
  if (view.state === 'escalating' && view.nextStepAt !== undefined) facts.push(['Next step', clock(view.nextStepAt)]);
  if (view.acknowledgedBy !== undefined) {
    const { name, via, at } = view.acknowledgedBy;
    facts.push(['Taken by', `${name} (${via}, ${clock(at)})`]);
  }
  if (view.resolvedBy !== undefined) facts.push(['Resolved by', `${view.resolvedBy.name} after ${view.resolvedBy.after}`]);
  return facts;
}

const STATE_WORDS: Readonly<Record<CardState, string>> = {
  escalating: 'escalating, nobody has taken it yet',
  acknowledged: 'someone is on it',
  resolved: 'resolved',
};

/** "17:05 UTC": the card is read by people in several time zones, and UTC is what the bot's log says too. */
function clock(iso: string): string {
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? iso : `${time.toISOString().slice(11, 16)} UTC`;
}
