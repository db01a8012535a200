// The machine: a generated SSH key, the tags to find it by, and the droplet with its user data.

import * as digitalocean from '@pulumi/digitalocean';
import * as pulumi from '@pulumi/pulumi';
import * as tls from '@pulumi/tls';

export interface MachineArgs {
  readonly region: string;
  readonly size: string;
  readonly image: string;
  readonly userData: string;
  /** Tag names, created with the stack and deleted by `pulumi destroy`. */
  readonly tags: readonly string[];
}

export interface Machine {
  readonly droplet: digitalocean.Droplet;
  /** OpenSSH private key of the stack; a secret in the state, never on disk. */
  readonly privateKey: pulumi.Output<string>;
}

export function createMachine(name: string, args: MachineArgs): Machine {
  const key = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: 'ED25519' });
  const sshKey = new digitalocean.SshKey(`${name}-ssh`, { name, publicKey: key.publicKeyOpenssh });
  const tags = args.tags.map((tag) => new digitalocean.Tag(`tag-${tag}`, { name: tag }));
  const droplet = new digitalocean.Droplet(name, {
    name,
    region: args.region,
    size: args.size,
    image: args.image,
    sshKeys: [sshKey.fingerprint],
    userData: args.userData,
    tags: tags.map((tag) => tag.name),
    // Web console agent off: SSH with the stack's key is the one way in (the recovery console still works).
    dropletAgent: false,
    gracefulShutdown: true,
  });
  return { droplet, privateKey: pulumi.secret(key.privateKeyOpenssh) };
}
