// Reads the Twilio operations the bot uses (create and list Messages and Calls) out of Twilio's OpenAPI
// description in bot/test/contracts, so the fake checks requests against Twilio's own parameter lists.
import { readFileSync } from 'node:fs';
import { contractObject } from './contract-json.ts';

export interface TwilioParameter {
  readonly type: string;
  readonly format: string | undefined;
}

export interface TwilioOperation {
  /** 'CreateMessage' or 'CreateCall'. */
  readonly operationId: string;
  /** '/2010-04-01/Accounts/{AccountSid}/Messages.json' */
  readonly pathTemplate: string;
  /** Matches a request path; group 1 is the AccountSid. */
  readonly pathPattern: RegExp;
  /** Form parameters by name, e.g. 'To' -> { type: 'string', format: 'phone-number' }. */
  readonly parameters: ReadonlyMap<string, TwilioParameter>;
  readonly required: readonly string[];
  /** Groups of parameters of which at least one must be given (x-twilio "conditional"), e.g. [['Url', 'Twiml', 'ApplicationSid']]. */
  readonly oneOf: readonly (readonly string[])[];
  /** Property names of the 201 response's resource. */
  readonly responseProperties: readonly string[];
}

export interface TwilioQueryParameter {
  readonly type: string;
  readonly format: string | undefined;
  readonly minimum: number | undefined;
  readonly maximum: number | undefined;
  readonly enum: readonly string[] | undefined;
}

export interface TwilioListOperation {
  /** 'ListMessage' or 'ListCall'. */
  readonly operationId: string;
  readonly pathTemplate: string;
  /** Matches a request path; group 1 is the AccountSid. */
  readonly pathPattern: RegExp;
  /** Query parameters by name, e.g. 'DateSent<' or 'PageSize'. */
  readonly query: ReadonlyMap<string, TwilioQueryParameter>;
  /** The page's array of resources: 'messages' or 'calls'. */
  readonly itemsKey: string;
  /** Every property of the page: the paging fields and itemsKey. */
  readonly pageProperties: readonly string[];
  /** Every property of one resource in the page. */
  readonly itemProperties: readonly string[];
}

const CONTRACT = new URL('../contracts/twilio-api-v2010-messages-calls.json', import.meta.url);

function readContract(): { paths: Record<string, unknown>; schemas: Record<string, unknown> } {
  const document = object(JSON.parse(readFileSync(CONTRACT, 'utf8')), 'the contract');
  return { paths: object(document.paths, 'paths'), schemas: object(object(document.components, 'components').schemas, 'components.schemas') };
}

function resolve(schemas: Record<string, unknown>, value: unknown, what: string): Record<string, unknown> {
  const schema = object(value, what);
  return typeof schema.$ref === 'string' ? object(schemas[schema.$ref.replace('#/components/schemas/', '')], schema.$ref) : schema;
}

function pathPattern(pathTemplate: string): RegExp {
  return new RegExp(`^${pathTemplate.replace('{AccountSid}', '([^/]+)').replaceAll('.', '\\.')}$`);
}

/** The list (GET) operations: their query parameters and the shape of the page they answer. */
export function loadTwilioListContract(): TwilioListOperation[] {
  const { paths, schemas } = readContract();
  return Object.entries(paths).map(([pathTemplate, item]) => {
    const where = `${pathTemplate} get`;
    const get = object(object(item, pathTemplate).get, where);
    const query = new Map(((get.parameters ?? []) as unknown[]).map((value) => object(value, `${where} parameter`))
      .filter((parameter) => parameter.in === 'query')
      .map((parameter) => {
        const schema = resolve(schemas, parameter.schema, `${where} ${String(parameter.name)}`);
        const number = (key: string) => (typeof schema[key] === 'number' ? schema[key] : undefined);
        return [String(parameter.name), {
          type: String(schema.type), format: schema.format === undefined ? undefined : String(schema.format),
          minimum: number('minimum'), maximum: number('maximum'), enum: Array.isArray(schema.enum) ? schema.enum.map(String) : undefined,
        }];
      }));
    const ok = object(object(object(get.responses, `${where} responses`)['200'], `${where} 200`).content, `${where} 200 content`);
    const page = object(object(object(ok['application/json'], `${where} 200 json`).schema, `${where} 200 schema`).properties, `${where} page properties`);
    const itemsKey = Object.keys(page).find((key) => object(page[key], key).type === 'array') ?? fail(`${where}: the page has no array`);
    const resource = resolve(schemas, object(page[itemsKey], itemsKey).items, `${where} ${itemsKey} items`);
    return {
      operationId: String(get.operationId),
      pathTemplate,
      pathPattern: pathPattern(pathTemplate),
      query,
      itemsKey,
      pageProperties: Object.keys(page),
      itemProperties: Object.keys(object(resource.properties, `${where} ${itemsKey} properties`)),
    };
  });
}

/** The create (POST) operations: their form parameters and the resource they answer. */
export function loadTwilioContract(): TwilioOperation[] {
  const { paths, schemas } = readContract();
  return Object.entries(paths).map(([pathTemplate, item]) => {
    const post = object(object(item, pathTemplate).post, `${pathTemplate} post`);
    const where = `${pathTemplate} post`;
    const requestBody = object(post.requestBody, `${where} requestBody`);
    const form = object(object(requestBody.content, `${where} content`)['application/x-www-form-urlencoded'], `${where} form`);
    const schema = object(form.schema, `${where} form schema`);
    const parameters = new Map(Object.entries(object(schema.properties, `${where} properties`)).map(([name, value]) => {
      const property = object(value, `${where} ${name}`);
      return [name, { type: String(property.type), format: property.format === undefined ? undefined : String(property.format) }];
    }));
    // x-twilio lists conditional parameters in snake_case (application_sid); the form uses PascalCase (ApplicationSid).
    const bySnakeName = new Map([...parameters.keys()].map((name) => [name.toLowerCase(), name]));
    const conditional = (object(post['x-twilio'] ?? {}, `${where} x-twilio`).conditional ?? []) as string[][];
    const oneOf = conditional.map((group) => group.map((snake) =>
      bySnakeName.get(snake.replaceAll('_', '')) ?? fail(`${where}: conditional parameter ${snake} is not a form parameter`)));

    const created = object(object(object(post.responses, `${where} responses`)['201'], `${where} 201`).content, `${where} 201 content`);
    const reference = String(object(object(created['application/json'], `${where} 201 json`).schema, `${where} 201 schema`).$ref);
    const resource = object(schemas[reference.replace('#/components/schemas/', '')], reference);

    return {
      operationId: String(post.operationId),
      pathTemplate,
      pathPattern: pathPattern(pathTemplate),
      parameters,
      required: (schema.required ?? []) as string[],
      oneOf,
      responseProperties: Object.keys(object(resource.properties, `${reference} properties`)),
    };
  });
}

function object(value: unknown, what: string): Record<string, unknown> {
  return contractObject(CONTRACT, value, what);
}

function fail(problem: string): never {
  throw new Error(`${CONTRACT.pathname}: ${problem}`);
}
