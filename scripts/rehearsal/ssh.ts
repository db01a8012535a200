// SSH to the rehearsal machine with the stack's kind of key, as @pulumi/command does: every connection,
// the first included, checks the host key that the machine got in its user data.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { RemoteStep } from '../../infra/release-steps.ts';

export interface SshResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Ssh {
  /** Runs one command with the given standard input. */
  run(command: string, stdin?: string): Promise<SshResult>;
  /** Runs a release step exactly as the chain does: its command, its standard input. */
  step(step: RemoteStep): Promise<SshResult>;
  /** Uploads files over SFTP (as CopyToRemote does), creating their folders. */
  upload(files: readonly { localPath: string; remotePath: string }[]): Promise<SshResult>;
}

/** `hostKey`: `type base64`, the only key accepted from `host`. */
export function sshTo(host: string, keyFile: string, knownHostsFile: string, hostKey: string): Ssh {
  writeFileSync(knownHostsFile, `${host} ${hostKey}\n`);
  const options = (): string[] => [
    '-i', keyFile, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR',
    '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHostsFile}`,
  ];
  const exec = (program: string, args: string[], stdin: string): Promise<SshResult> => new Promise((resolve) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('close', (status) => resolve({ status, stdout, stderr }));
    // ssh may exit before reading its input (a refused connection): that is its status to report, not a crash.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
  const ssh: Ssh = {
    run: (command, stdin = '') => exec('ssh', [...options(), `root@${host}`, command], stdin),
    step: (step) => ssh.run(step.command, step.stdin),
    upload(files) {
      const dirs = new Set<string>();
      for (const file of files) {
        const parts = file.remotePath.split('/').slice(1, -1);
        for (let i = 1; i <= parts.length; i++) dirs.add(`/${parts.slice(0, i).join('/')}`);
      }
      const batch = [...[...dirs].map((dir) => `-mkdir ${dir}`), ...files.map((f) => `put ${f.localPath} ${f.remotePath}`)].join('\n');
      return exec('sftp', [...options(), '-b', '-', `root@${host}`], `${batch}\n`);
    },
  };
  return ssh;
}
