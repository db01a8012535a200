// Turns what reached the fakes into short lines a test can compare and a person can read.

import type { RecordedRequest } from '../fakes/fake-server.ts';

/** One line per request; room ids become ROOM so lines compare across runs. */
export function describeRequest(request: RecordedRequest): string {
  const ids = (text: string) => text.replace(/"roomId":"[^"]+"/g, '"roomId":"ROOM"');
  if (request.form !== undefined) {
    const fields = Object.entries(request.form).map(([key, value]) => `${key}=${String(value)}`).sort().join(' ');
    return `twilio ${request.path.endsWith('/Calls.json') ? 'call' : 'SMS'} ${fields}`;
  }
  if (request.multipart !== undefined) {
    const { fields, files } = request.multipart;
    const text = Object.entries(fields).filter(([key]) => key !== 'roomId').map(([key, value]) => `${key}=${JSON.stringify(value)}`);
    const uploads = files.map((file) => `file=${file.name} (${file.type}, ${file.bytes.length} bytes)`);
    return `${request.method} ${request.path} multipart ${[...uploads, ...text].join(' ')}`;
  }
  const body = request.json === undefined ? '' : ` ${ids(JSON.stringify(request.json))}`;
  return `${request.method} ${request.path}${body}`;
}

/** The requests that arrived after the first `seen` ones. */
export function since(requests: readonly RecordedRequest[], seen: number): RecordedRequest[] {
  return requests.slice(seen);
}
