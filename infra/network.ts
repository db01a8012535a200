// The cloud firewall: the only doors into and out of the droplet.

import * as digitalocean from '@pulumi/digitalocean';
import type * as pulumi from '@pulumi/pulumi';

const ANYWHERE = ['0.0.0.0/0', '::/0'];

export interface FirewallRules {
  readonly inbound: digitalocean.types.input.FirewallInboundRule[];
  readonly outbound: digitalocean.types.input.FirewallOutboundRule[];
}

/**
 * Inbound: the web (80 for ACME and the redirect, 443 over TCP and UDP for HTTP/3), SSH only from the given ranges, and ICMP.
 * Outbound: a DigitalOcean firewall with outbound rules blocks everything else, so list what apt, ACME,
 * Webex, Twilio and the clock need: DNS, HTTP, HTTPS and NTP.
 */
export function firewallRules(sshAllowedCidrs: readonly string[]): FirewallRules {
  return {
    inbound: [
      { protocol: 'tcp', portRange: '80', sourceAddresses: ANYWHERE },
      { protocol: 'tcp', portRange: '443', sourceAddresses: ANYWHERE },
      // HTTP/3: Caddy advertises it (Alt-Svc) and browsers such as the status page's may switch to it.
      { protocol: 'udp', portRange: '443', sourceAddresses: ANYWHERE },
      { protocol: 'tcp', portRange: '22', sourceAddresses: [...sshAllowedCidrs] },
      { protocol: 'icmp', sourceAddresses: ANYWHERE },
    ],
    outbound: [
      { protocol: 'udp', portRange: '53', destinationAddresses: ANYWHERE },
      { protocol: 'tcp', portRange: '53', destinationAddresses: ANYWHERE },
      { protocol: 'tcp', portRange: '80', destinationAddresses: ANYWHERE },
      { protocol: 'tcp', portRange: '443', destinationAddresses: ANYWHERE },
      { protocol: 'udp', portRange: '123', destinationAddresses: ANYWHERE },
    ],
  };
}

export function createFirewall(
  name: string,
  args: { readonly dropletId: pulumi.Input<number>; readonly sshAllowedCidrs: readonly string[] },
  opts?: pulumi.CustomResourceOptions,
): digitalocean.Firewall {
  const rules = firewallRules(args.sshAllowedCidrs);
  return new digitalocean.Firewall(`${name}-firewall`, {
    name,
    dropletIds: [args.dropletId],
    inboundRules: rules.inbound,
    outboundRules: rules.outbound,
  }, opts);
}
