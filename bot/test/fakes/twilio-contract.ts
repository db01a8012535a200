// Reads the two Twilio operations the bot uses (create Message, create Call) out of Twilio's OpenAPI
// description in bot/test/contracts, so the fake checks requests against Twilio's own parameter list.
import { readFileSync } from 'node:fs';

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

const CONTRACT = new URL('../contracts/twilio-api-v2010-messages-calls.json', import.meta.url);

export function loadTwilioContract(): TwilioOperation[] {
  const document = object(JSON.parse(readFileSync(CONTRACT, 'utf8')), 'the contract');
  const schemas = object(object(document.components, 'components').schemas, 'components.schemas');
  return Object.entries(object(document.paths, 'paths')).map(([pathTemplate, item]) => {
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
      pathPattern: new RegExp(`^${pathTemplate.replace('{AccountSid}', '([^/]+)').replaceAll('.', '\\.')}$`),
      parameters,
      required: (schema.required ?? []) as string[],
      oneOf,
      responseProperties: Object.keys(object(resource.properties, `${reference} properties`)),
    };
  });
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function fail(problem: string): never {
  throw new Error(`${CONTRACT.pathname}: ${problem}`);
}
