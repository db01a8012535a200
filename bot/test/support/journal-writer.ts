// Changes the state in `argv[2]` for ever, as presses would, compacting it every 25 changes, and prints the
// press count once each change is written: the state journal's test kills it (SIGKILL) at random instants.
import { withRecord, type PressRecord } from '../../src/core/state.ts';
import { LEGACY_BUTTON } from '../../src/settings/types.ts';
import { StateStore } from '../../src/state/store.ts';

const whole = await StateStore.open(process.argv[2]!, 'live', (message) => console.error(message));
const store = whole.button(LEGACY_BUTTON);
for (;;) {
  const count = store.current.pressCount + 1;
  const record: PressRecord = { id: `p${count}`, at: new Date().toISOString(), step: 1, kind: 'step', dryRun: false, durationMs: count, ok: true, actions: [] };
  await store.update((state) => withRecord({ ...state, pressCount: count, nextStep: count + 1 }, record), 'process-crash');
  process.stdout.write(`${count}\n`);
  if (count % 25 === 0) await whole.flush();
  // Lets the parent's kill land between writes as well as inside them.
  await new Promise((resolve) => setImmediate(resolve));
}
