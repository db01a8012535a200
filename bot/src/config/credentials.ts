// The secrets the bot reads as files from systemd's $CREDENTIALS_DIRECTORY (LoadCredential=), named
// like their environment variables. The deployment writes exactly these.
export const CREDENTIAL_NAMES = ['BTTN_TOKEN', 'CISCO_SPARK_BTTN_BOT', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'] as const;
export type CredentialName = (typeof CREDENTIAL_NAMES)[number];
