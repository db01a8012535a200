// The index of the buttons under /buttons/<BTTN_TOKEN>: each button's name, room, where its escalation
// stands, and its press URL and status page (each with its own token). Under the bot's token only, which
// no button's URL carries when there are several: a leaked press URL does not lead here.

import express from 'express';
import type { Escalations } from '../press/escalations.ts';
import { esc } from '../status/page.ts';

export interface IndexServices {
  readonly escalations: Escalations;
  readonly botToken: string;
  /** Where the URLs point; without one, the address the request came to. */
  readonly publicUrl: string | undefined;
  readonly tokenMatches: (candidate: unknown) => boolean;
}

export interface ButtonEntry {
  readonly name: string;
  readonly room: string;
  readonly steps: number;
  readonly nextStep: number;
  readonly escalation: string;
  readonly pressUrl: string;
  readonly statusUrl: string;
}

export function buttonsIndex(services: IndexServices): express.Router {
  const router = express.Router();
  router.get('/buttons/:token', (req, res, next) => {
    if (!services.tokenMatches(req.params.token)) {
      next();
      return;
    }
    const base = (services.publicUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');
    const entries = services.escalations.all.map(({ name, token, settings, store }): ButtonEntry => {
      const { incident, nextStep } = store.current;
      return {
        name, room: settings.webex.room, steps: settings.steps.length, nextStep,
        escalation: incident === undefined ? 'none yet' : `Escalation ${incident.number}: ${incident.status}`,
        pressUrl: `${base}/press/${token}`, statusUrl: `${base}/status/${token}`,
      };
    });
    res.set({ 'cache-control': 'no-store', vary: 'Accept', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'" });
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ buttons: entries });
      return;
    }
    res.type('html').send(indexPage(entries));
  });
  return router;
}

function indexPage(entries: readonly ButtonEntry[]): string {
  const rows = entries.map((entry) => `<tr><th scope="row"><a href="${esc(entry.statusUrl)}">${esc(entry.name)}</a></th><td>${esc(entry.room)}</td>`
    + `<td>${entry.nextStep > entry.steps ? 'all steps run' : `step ${entry.nextStep} of ${entry.steps} next`}</td><td>${esc(entry.escalation)}</td>`
    + `<td><code>${esc(entry.pressUrl)}</code></td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Buttons</title></head>
<body><h1>Buttons</h1>
<table><thead><tr><th scope="col">Button (its status page)</th><th scope="col">Webex room</th><th scope="col">Sequence</th><th scope="col">Escalation</th><th scope="col">Press URL</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
