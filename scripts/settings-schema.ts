// `npm run schema`: writes settings.schema.json from bot/src/settings/shape.ts, after a key is added or changed there.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMA_FILE, settingsSchemaText } from '../bot/src/settings/schema.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(path.join(root, SCHEMA_FILE), settingsSchemaText());
console.log(`wrote ${SCHEMA_FILE}`);
