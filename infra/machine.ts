// The machine: a generated SSH key, the droplet with its user data and tags, its cloud firewall, a
// reserved IP that carries the public URLs, and the wait for its first boot, which reads the SSH host key.
// What the rest of the program needs from it comes back as one value (MachineFacts).

import * as command from '@pulumi/command';
import * as digitalocean from '@pulumi/digitalocean';
import * as pulumi from '@pulumi/pulumi';
import * as tls from '@pulumi/tls';
import type { Layout } from './layout.ts';
import { createFirewall } from './network.ts';
import { waitStep } from './release-steps.ts';
import { hostKeyFrom } from './render/remote-scripts.ts';

export interface MachineArgs {
  readonly region: string;
  readonly size: string;
  readonly image: string;
  readonly userData: string;
  /** The stack's own tag: created with the stack and deleted by `pulumi destroy`. */
  readonly stackTag: string;
  /**
   * Tags shared with other stacks: plain names on the droplet, never resources. DigitalOcean removes a
   * deleted tag from every resource, so one stack's `pulumi destroy` must never delete a shared one.
   */
  readonly sharedTags: readonly string[];
  readonly sshAllowedCidrs: readonly string[];
  readonly layout: Layout;
}

/** What the certificate, SSH, the checks and the outputs each need from the machine. */
export interface MachineFacts {
  /** The reserved IP: what the button URL, the certificate and the check from outside use. */
  readonly publicAddress: pulumi.Output<string>;
  /** The droplet's own address, for SSH. */
  readonly sshHost: pulumi.Output<string>;
  /** `type base64` of the droplet's SSH host key, read on first contact. */
  readonly hostKey: pulumi.Output<string>;
  /** OpenSSH private key of the stack; a secret in the state, never on disk. */
  readonly privateKey: pulumi.Output<string>;
  /** Changes when the droplet is replaced. */
  readonly dropletId: pulumi.Output<string>;
  /** Ready: first boot done, firewall attached, reserved IP assigned. */
  readonly ready: pulumi.Resource;
}

export class Machine extends pulumi.ComponentResource {
  readonly facts: MachineFacts;

  constructor(name: string, args: MachineArgs, opts?: pulumi.ComponentResourceOptions) {
    super('bttn:index:Machine', name, {}, opts);
    // These resources were created at the top level of the program before the component existed; the
    // alias keeps their identity, so an existing stack does not replace them. (The root stack resource
    // exists only while the program runs: read it here, not when the module loads.)
    const child: pulumi.CustomResourceOptions = { parent: this, aliases: [{ parent: pulumi.rootStackResource }] };
    const key = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: 'ED25519' }, child);
    const sshKey = new digitalocean.SshKey(`${name}-ssh`, { name, publicKey: key.publicKeyOpenssh }, child);
    const stackTag = new digitalocean.Tag(`tag-${args.stackTag}`, { name: args.stackTag }, child);
    const droplet = new digitalocean.Droplet(name, {
      name,
      region: args.region,
      size: args.size,
      image: args.image,
      sshKeys: [sshKey.fingerprint],
      userData: args.userData,
      tags: [...args.sharedTags, stackTag.name],
      // Web console agent off: SSH with the stack's key is the one way in (the recovery console still works).
      dropletAgent: false,
      gracefulShutdown: true,
    }, child);
    const dropletId = droplet.id.apply(Number);
    const firewall = createFirewall(name, { dropletId, sshAllowedCidrs: args.sshAllowedCidrs }, child);
    // The reserved IP outlives the droplet: a replacement keeps the URL pasted into my.bt.tn.
    const address = new digitalocean.ReservedIp(`${name}-ip`, { region: args.region }, { parent: this });
    const assignment = new digitalocean.ReservedIpAssignment(`${name}-ip-assignment`, {
      ipAddress: address.ipAddress,
      dropletId,
    }, { parent: this });
    const privateKey = pulumi.secret(key.privateKeyOpenssh);
    const step = waitStep(args.layout);
    const wait = new command.remote.Command(`${name}-wait-cloud-init`, {
      // First contact: no host key to check yet; this step reads it for every later connection.
      connection: {
        host: droplet.ipv4Address,
        user: 'root',
        privateKey,
        // A new droplet takes a minute or two before sshd answers.
        dialErrorLimit: 40,
        perDialTimeout: 15,
      },
      create: step.command,
      stdin: step.stdin,
      addPreviousOutputInEnv: false,
      triggers: [droplet.id],
    }, { ...child, dependsOn: [firewall, assignment] });
    this.facts = {
      publicAddress: pulumi.all([address.ipAddress, assignment.id]).apply(([ip]) => ip),
      sshHost: droplet.ipv4Address,
      hostKey: wait.stdout.apply(hostKeyFrom),
      privateKey,
      dropletId: droplet.id,
      ready: wait,
    };
    this.registerOutputs({});
  }
}
