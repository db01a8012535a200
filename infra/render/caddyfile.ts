// The Caddy file in front of the bot, as text. Pure: tests render each variant and run `caddy validate`.

import type { Layout } from '../layout.ts';

/** How the public side of the droplet is served. */
export type Front =
  | { readonly kind: 'domain'; readonly domain: string }
  /** A Let's Encrypt certificate for the droplet's own IPv4 address. */
  | { readonly kind: 'ip'; readonly ipv4: string }
  /** Plain HTTP on port 80, for networks where ACME cannot work (`tls: false`); host is the domain or the IP. */
  | { readonly kind: 'http'; readonly host: string };

export function publicBaseUrl(front: Front): string {
  switch (front.kind) {
    case 'domain': return `https://${front.domain}`;
    case 'ip': return `https://${front.ipv4}`;
    case 'http': return `http://${front.host}`;
  }
}

/**
 * An ACME CA other than Let's Encrypt, whose directory is served over HTTPS under a root of its own: only
 * the rehearsal and the tests use one (pebble), in place of Let's Encrypt.
 */
export interface AcmeStandIn {
  readonly directory: string;
  /** PEM file, on the machine, of the root that signed the directory's HTTPS certificate. */
  readonly directoryRoot: string;
}

export function renderCaddyfile(front: Front, layout: Layout, acme?: AcmeStandIn): string {
  const header = `# Managed by the Pulumi program in infra/ (rendered by infra/render/caddyfile.ts); edits are overwritten.
# No access log: the button URL carries its secret token in the path.
`;
  // Only root drives Caddy: its admin API is a unix socket that only the caddy user (and root) can connect
  // to, instead of localhost:2019, which every local user (the bot's too) reaches. Caddy logs every 5xx
  // answer (a restart answers 502) with its request: never its URI, which holds the token, nor its headers
  // (a Referer holds it too).
  const globals = (extra: string[] = []) => [
    '{',
    `\tadmin unix/${layout.caddyAdminSocket}`,
    '\tlog {',
    '\t\tformat filter {',
    '\t\t\twrap json',
    '\t\t\tfields {',
    '\t\t\t\trequest>uri delete',
    '\t\t\t\trequest>headers delete',
    '\t\t\t}',
    '\t\t}',
    '\t}',
    ...extra.map((line) => `\t${line}`),
    '}',
    '',
  ].join('\n');
  const proxy = `\treverse_proxy 127.0.0.1:${layout.botPort}\n`;
  switch (front.kind) {
    case 'domain':
      return `${header}${globals()}
${front.domain} {
${proxy}}
`;
    case 'ip': {
      // Let's Encrypt issues IP-address certificates only in its 6-day "shortlived" profile; Caddy accepts the
      // `profile` option from 2.10, but gets IP certificates right only from 2.10.1 (certmagic 0.24), which
      // the activation checks. An explicit issuer also stops Caddy from falling back to its internal,
      // untrusted CA, which it would otherwise use for an IP address.
      const issuer = acme === undefined
        ? '\t\t\tprofile shortlived'
        : `\t\t\tdir ${acme.directory}\n\t\t\ttrusted_roots ${acme.directoryRoot}`;
      // A client given an IP-address URL sends no SNI (RFC 6066), so Caddy looks the certificate up by the
      // connection's local address; a reserved IP's traffic arrives on the droplet's anchor address, and the
      // health check on 127.0.0.1: neither is the certificate's. `default_sni` makes the public IP the name
      // of every connection without SNI (Caddy 2.6 and later; caddyserver/caddy#6344).
      return `${header}${globals([`default_sni ${front.ipv4}`])}
https://${front.ipv4} {
\ttls {
\t\tissuer acme {
${issuer}
\t\t}
\t}
${proxy}}
`;
    }
    case 'http':
      return `${header}${globals()}
http://:80 {
${proxy}}
`;
  }
}
