// `npm run schema`: writes settings.schema.json and button.schema.json from bot/src/settings/shape.ts, after a key is added or changed there.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMAS, schemaText } from '../bot/src/settings/schema.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const [file, schema] of Object.entries(SCHEMAS)) {
  writeFileSync(path.join(root, file), schemaText(schema()));
  console.log(`wrote ${file}`);
}
