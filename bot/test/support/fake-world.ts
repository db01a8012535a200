// What the bot's behaviour tests share: fake Webex and Twilio on loopback for the whole file, reset before
// each test, and a way to start the real bot against them that stops every bot a test started.

import { after, beforeEach } from 'node:test';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.ts';
import { startFakeWebex, type FakeWebex } from '../fakes/webex.ts';
import { liveEnv, startBot, TEST_TOKENS, workspace, type BotProcess, type Workspace } from './bot-process.ts';

export interface FakeWorld {
  readonly webex: FakeWebex;
  readonly twilio: FakeTwilio;
  /** The real bot on these settings (default: the file's own), live against the fakes; `stateDirectory` to restart on a state. */
  bot(settings?: Workspace, env?: Record<string, string>, stateDirectory?: string): Promise<BotProcess>;
  /** A bot started otherwise (in dry-run, say), stopped after the test like the others. */
  track(bot: BotProcess): BotProcess;
}

export async function fakeWorld(defaultSettings: Workspace): Promise<FakeWorld> {
  const webex = await startFakeWebex({ token: TEST_TOKENS.webex });
  const twilio = await startFakeTwilio({ accountSid: TEST_TOKENS.accountSid, authToken: TEST_TOKENS.authToken });
  const running: BotProcess[] = [];
  beforeEach(async () => {
    await Promise.all(running.splice(0).map((bot) => bot.stop()));
    webex.reset();
    twilio.reset();
  });
  after(async () => {
    await Promise.all(running.map((bot) => bot.stop()));
    await Promise.all([webex.close(), twilio.close()]);
  });
  return {
    webex,
    twilio,
    async bot(settings = defaultSettings, env = {}, stateDirectory) {
      const started = await startBot({
        folder: workspace(settings),
        env: { ...liveEnv(webex.url, twilio.url), ...env },
        ...(stateDirectory === undefined ? {} : { stateDirectory }),
      });
      running.push(started);
      return started;
    },
    track(bot) {
      running.push(bot);
      return bot;
    },
  };
}
