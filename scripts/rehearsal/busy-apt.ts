// A first boot on a busy apt: on a fresh Ubuntu droplet apt-daily.service often refreshes the package
// lists while cloud-init runs. Here a service that starts before cloud-init's stages holds the lists' lock
// (the fcntl lock apt-get update takes) for a while.

import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const NAME = 'bttn-rehearsal-busy-apt';

/** Makes the machine in `dir` hold /var/lib/apt/lists/lock for `seconds` from early in its next boot. */
export function holdAptListsAtBoot(dir: string, seconds: number): void {
  const program = `/usr/local/sbin/${NAME}`;
  writeFileSync(path.join(dir, program.slice(1)), `#!/usr/bin/python3
import fcntl, subprocess, time
lock = open('/var/lib/apt/lists/lock', 'w')
fcntl.lockf(lock, fcntl.LOCK_EX)
subprocess.run(['systemd-notify', '--ready'], check=True)
print('holding /var/lib/apt/lists/lock for ${seconds} s', flush=True)
time.sleep(${seconds})
`);
  chmodSync(path.join(dir, program.slice(1)), 0o755);
  const unit = `/etc/systemd/system/${NAME}.service`;
  // Ready once it holds the lock, and ordered before the stages of cloud-init that run apt: they find it held.
  writeFileSync(path.join(dir, unit.slice(1)), `[Unit]
Description=Rehearsal: another apt holds the package lists at first boot (as apt-daily.service does)
Before=cloud-config.service cloud-final.service
[Service]
Type=notify
NotifyAccess=all
ExecStart=${program}
`);
  const wants = path.join(dir, 'etc/systemd/system/multi-user.target.wants');
  mkdirSync(wants, { recursive: true });
  symlinkSync(unit, path.join(wants, `${NAME}.service`));
}
