// What both contract readers need of an OpenAPI file: its parts as JSON objects, or an error that names the file.

export function contractObject(file: URL, value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file.pathname}: ${what} is not an object`);
  return value as Record<string, unknown>;
}
