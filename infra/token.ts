// The button's secret: the last path segment of the URL pasted into my.bt.tn.

import { createHash } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import * as tls from '@pulumi/tls';

/**
 * 32 URL-safe characters (192 bits) drawn from a key that the tls provider generates and keeps, secret,
 * in the stack's state: stable from one `pulumi up` to the next, new after `pulumi destroy`. Rotate it
 * with `pulumi up --replace` on this resource. (Avoids a dependency on @pulumi/random for one value.)
 */
export function buttonToken(name: string): pulumi.Output<string> {
  const seed = new tls.PrivateKey(name, { algorithm: 'ED25519' });
  return pulumi.secret(seed.privateKeyPem.apply((pem) =>
    createHash('sha256').update(`bttn-button-token\0${pem}`).digest('base64url').slice(0, 32)));
}
