// Every answer from outside is parsed before use: a 200 of the wrong shape fails the action that asked,
// with the field that was wrong, and never reaches the state.

import { AnswerError, type HttpResponse } from './transport.ts';

export type JsonObject = Readonly<Record<string, unknown>>;

export function jsonObject(response: HttpResponse, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(response.body);
  } catch {
    throw new AnswerError(what, 'the body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AnswerError(what, 'the body is not a JSON object');
  return value as JsonObject;
}

/** A non-empty string field, matching `pattern` when given. */
export function stringField(object: JsonObject, key: string, what: string, pattern?: RegExp): string {
  const value = object[key];
  if (typeof value !== 'string' || value === '' || value.length > 1000 || (pattern !== undefined && !pattern.test(value))) {
    throw new AnswerError(what, `no valid \`${key}\``);
  }
  return value;
}

export function arrayField(object: JsonObject, key: string, what: string): readonly JsonObject[] {
  const value = object[key];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'object' && item !== null)) {
    throw new AnswerError(what, `no \`${key}\` list`);
  }
  return value as JsonObject[];
}
