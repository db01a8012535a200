// Reads Webex's OpenAPI description of the messaging APIs (bot/test/contracts) so the fake Webex checks query
// parameters and JSON bodies against Webex's own lists, and answers with exactly the properties Webex declares.
import { readFileSync } from 'node:fs';
import { contractObject } from './contract-json.ts';

export interface WebexField {
  /** JSON Schema type: 'string', 'boolean', 'number', 'array', 'object'. */
  readonly type: string;
  readonly enum: readonly string[] | undefined;
}

export interface WebexOperation {
  /** 'GET', 'POST', ... */
  readonly method: string;
  /** As in the contract, without the /v1 prefix: '/rooms/{roomId}'. */
  readonly pathTemplate: string;
  /** Matches a request path, /v1 prefix included; the groups are the path parameters. */
  readonly pathPattern: RegExp;
  readonly query: ReadonlyMap<string, WebexField>;
  readonly requiredQuery: readonly string[];
  /** The JSON body's properties and required names; undefined when the operation takes no body. */
  readonly body: { readonly properties: ReadonlyMap<string, WebexField>; readonly required: readonly string[] } | undefined;
  /** Schema name of the 200 answer, e.g. 'Room' or 'RoomCollectionResponse'; undefined for 204. */
  readonly response: string | undefined;
}

export interface WebexContract {
  readonly operations: readonly WebexOperation[];
  /** The operation for a request; a literal path ('/people/me') wins over a template ('/people/{personId}'). */
  find(method: string, path: string): WebexOperation | undefined;
  /** Property names a schema declares, e.g. properties('Room'). */
  properties(schema: string): readonly string[];
  /** The schema an array property's items refer to, e.g. itemSchema('RoomCollectionResponse', 'items') is 'Room'. */
  itemSchema(schema: string, property: string): string | undefined;
}

const CONTRACT = new URL('../contracts/webex-messaging-bot-subset.json', import.meta.url);
const METHODS = ['get', 'post', 'put', 'delete'];

export function loadWebexContract(): WebexContract {
  const document = object(JSON.parse(readFileSync(CONTRACT, 'utf8')), 'the contract');
  const schemas = object(object(document.components, 'components').schemas, 'components.schemas');
  const schema = (name: string): Record<string, unknown> => object(schemas[name], `components.schemas.${name}`);
  const schemaProperties = (name: string): Record<string, unknown> => object(schema(name).properties, `${name} properties`);

  const operations: WebexOperation[] = [];
  for (const [pathTemplate, item] of Object.entries(object(document.paths, 'paths'))) {
    for (const [method, value] of Object.entries(object(item, pathTemplate)).filter(([key]) => METHODS.includes(key))) {
      const where = `${method.toUpperCase()} ${pathTemplate}`;
      const op = object(value, where);
      const parameters = ((op.parameters ?? []) as unknown[]).map((parameter) => object(parameter, `${where} parameter`));
      const queryParameters = parameters.filter((parameter) => parameter.in === 'query');
      const json = op.requestBody === undefined ? undefined
        : object(object(object(op.requestBody, `${where} requestBody`).content, `${where} content`)['application/json'], `${where} json`);
      const bodySchema = json === undefined ? undefined : object(json.schema, `${where} body schema`);
      const responses = object(op.responses, `${where} responses`);
      const ok = responses['200'] === undefined ? undefined : object(responses['200'], `${where} 200`);
      const reference = ok === undefined ? undefined
        : String(object(object(object(ok.content, `${where} 200 content`)['application/json'], `${where} 200 json`).schema, `${where} 200 schema`).$ref);
      operations.push({
        method: method.toUpperCase(),
        pathTemplate,
        pathPattern: new RegExp(`^/v1${pathTemplate.replace(/\{[^}]+\}/g, '([^/]+)')}$`),
        query: new Map(queryParameters.map((parameter) => [String(parameter.name), field(parameter.schema, `${where} ${String(parameter.name)}`)])),
        requiredQuery: queryParameters.filter((parameter) => parameter.required === true).map((parameter) => String(parameter.name)),
        body: bodySchema === undefined ? undefined : {
          properties: new Map(Object.entries(object(bodySchema.properties, `${where} body properties`)).map(([name, property]) => [name, field(property, `${where} ${name}`)])),
          required: (bodySchema.required ?? []) as string[],
        },
        response: reference?.replace('#/components/schemas/', ''),
      });
    }
  }
  // Literal paths first, so /people/me is not taken for /people/{personId}.
  operations.sort((a, b) => Number(a.pathTemplate.includes('{')) - Number(b.pathTemplate.includes('{')));

  return {
    operations,
    find: (method, path) => operations.find((op) => op.method === method && op.pathPattern.test(path)),
    properties: (name) => Object.keys(schemaProperties(name)),
    itemSchema(name, property) {
      const items = object(object(schemaProperties(name)[property], `${name}.${property}`).items ?? {}, `${name}.${property} items`);
      return typeof items.$ref === 'string' ? items.$ref.replace('#/components/schemas/', '') : undefined;
    },
  };
}

function field(value: unknown, what: string): WebexField {
  const schema = object(value, what);
  return {
    type: String(schema.type ?? 'object'),
    enum: Array.isArray(schema.enum) ? schema.enum.map(String) : undefined,
  };
}

function object(value: unknown, what: string): Record<string, unknown> {
  return contractObject(CONTRACT, value, what);
}
