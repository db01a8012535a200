// The room link on the status page, from the ids Webex really gives out (the fake's are base64url).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { webexRoomLink } from '../src/status/status-view.ts';

const UUID = 'bbcecb1a-43f1-3b58-9147-f14bb0c4d154';

test('a room id opens as webexteams://im?space=<uuid>, whatever base64 form it comes in', () => {
  const cases: [string, string | undefined][] = [
    [Buffer.from(`ciscospark://us/ROOM/${UUID}`).toString('base64'), `webexteams://im?space=${UUID}`],
    [Buffer.from(`ciscospark://us/ROOM/${UUID}`).toString('base64').replace(/=+$/, ''), `webexteams://im?space=${UUID}`],
    [Buffer.from(`ciscospark://eu/ROOM/${UUID.toUpperCase()}`).toString('base64url'), `webexteams://im?space=${UUID}`],
    [Buffer.from(`ciscospark://us/PEOPLE/${UUID}`).toString('base64'), undefined],
    ['dry-run-3', undefined],
  ];
  for (const [id, link] of cases) assert.equal(webexRoomLink(id), link, id);
});
