// settings.schema.json and button.schema.json, for editors, written from the declarations of shape.ts:
// `npm run schema` writes them, and a test fails when a committed file differs from what this returns.

import { BUTTON, definitions, rangeSchema, SETTINGS, SHARED, type JsonSchema, type Key, type Mapping, type Value } from './shape.ts';

export const SCHEMA_FILE = 'settings.schema.json';
export const BUTTON_SCHEMA_FILE = 'button.schema.json';

/** settings.yaml: with its own sequence, or beside a buttons/ folder with what the buttons share. */
export function settingsSchema(): JsonSchema {
  return document(SCHEMA_FILE, 'bt.tn escalation settings', (defs) => ({
    anyOf: [objectSchema(SETTINGS, defs), objectSchema(SHARED, defs)],
  }));
}

/** buttons/<name>.yaml: one button. */
export function buttonSchema(): JsonSchema {
  return document(BUTTON_SCHEMA_FILE, 'bt.tn button', (defs) => objectSchema(BUTTON, defs));
}

/** Each schema file by its name, as `npm run schema` writes them. */
export const SCHEMAS: Readonly<Record<string, () => JsonSchema>> = { [SCHEMA_FILE]: settingsSchema, [BUTTON_SCHEMA_FILE]: buttonSchema };

/** A schema's text as committed: two-space JSON and a final line break. */
export function schemaText(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function document(file: string, title: string, root: (defs: Record<string, JsonSchema>) => JsonSchema): JsonSchema {
  const defs: Record<string, JsonSchema> = { ...definitions };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://github.com/bttn-webex/${file}`,
    title,
    ...root(defs),
    $defs: defs,
  };
}

function valueSchema(value: Value, defs: Record<string, JsonSchema>): JsonSchema {
  switch (value.kind) {
    case 'number': return rangeSchema(value.range);
    case 'text': return { type: 'string', pattern: value.pattern.regex };
    case 'schema': return value.schema;
    case 'choice': return { enum: value.values, default: value.default };
    case 'list': return {
      type: 'array',
      ...(value.min === undefined ? {} : { minItems: value.min }),
      ...(value.max === undefined ? {} : { maxItems: value.max }),
      items: valueSchema(value.of, defs),
    };
    case 'mapping': {
      const { mapping } = value;
      const written = mapping.listForm ? { oneOf: [objectSchema(mapping, defs), listSchema(mapping, defs)] } : objectSchema(mapping, defs);
      if (mapping.def === undefined) return written;
      defs[mapping.def] = written;
      return { $ref: `#/$defs/${mapping.def}` };
    }
  }
}

/** Every name of every key, each with the key's value; an alias says which name it stands for. */
function properties(mapping: Mapping, defs: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const result: Record<string, JsonSchema> = {};
  for (const key of Object.values(mapping.keys)) {
    const value = valueSchema(key.value, defs);
    const [first, ...aliases] = key.names;
    result[first] = key.description === undefined ? value : { ...value, description: key.description };
    for (const alias of aliases) result[alias] = { ...value, description: `Another name for \`${first}\`: write one of them.` };
  }
  return result;
}

/** Present under any of its names. */
function written(key: Key): JsonSchema {
  return key.names.length === 1 ? { required: [key.names[0]] } : { anyOf: key.names.map((name) => ({ required: [name] })) };
}

/** Today's form: a mapping of keys. */
function objectSchema(mapping: Mapping, defs: Record<string, JsonSchema>): JsonSchema {
  const required = Object.keys(mapping.required ?? {}).map((name) => mapping.keys[name]!);
  const single = required.filter((key) => key.names.length === 1).map((key) => key.names[0]);
  const either = required.filter((key) => key.names.length > 1).map(written);
  // One key under two of its names is a repeat, which the validator refuses.
  const oneName = Object.fromEntries(Object.values(mapping.keys).flatMap((key) => key.names.slice(1).map((alias) => [
    alias, { not: { anyOf: key.names.filter((name) => name !== alias).map((name) => ({ required: [name] })) } },
  ])));
  return {
    type: 'object',
    ...(mapping.description === undefined ? {} : { description: mapping.description }),
    additionalProperties: false,
    ...(single.length === 0 ? {} : { required: single }),
    ...(either.length === 1 ? either[0] : either.length > 1 ? { allOf: either } : {}),
    ...(Object.keys(oneName).length === 0 ? {} : { dependentSchemas: oneName }),
    ...acrossSchema(mapping),
    properties: properties(mapping, defs),
  };
}

/** The rules across keys, as JSON Schema keywords. */
function acrossSchema(mapping: Mapping): JsonSchema {
  const key = (name: string) => mapping.keys[name]!;
  const rules = mapping.across ?? [];
  const notBoth = rules.flatMap((rule) => rule.rule === 'notBoth' ? [rule.keys.map(key)] : []).map((pair) =>
    pair.every((one) => one.names.length === 1) ? { required: pair.map((one) => one.names[0]) } : { allOf: pair.map(written) });
  const needs = rules.flatMap((rule) => rule.rule === 'needs'
    ? rule.keys.flatMap((name) => key(name).names.map((alias) => [alias, [key(rule.needs).names[0]]] as const)) : []);
  return {
    ...(rules.some((rule) => rule.rule === 'notEmpty') ? { minProperties: 1 } : {}),
    ...(notBoth.length === 0 ? {} : { not: notBoth.length === 1 ? notBoth[0] : { anyOf: notBoth } }),
    ...(needs.length === 0 ? {} : { dependentRequired: Object.fromEntries(needs) }),
  };
}

/** The 2016 form: a list of one-key items, where each required key is one of the items. */
function listSchema(mapping: Mapping, defs: Record<string, JsonSchema>): JsonSchema {
  const required = Object.keys(mapping.required ?? {}).map((name) => ({ contains: written(mapping.keys[name]!) }));
  return {
    type: 'array',
    items: { type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: false, properties: properties(mapping, defs) },
    ...(required.length === 0 ? {} : { allOf: required }),
  };
}
