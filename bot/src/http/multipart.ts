// A form with one file, encoded as multipart/form-data (RFC 7578) the way undici's FormData encodes it, but
// streamed from the disk through a Node stream with its length known: undici's FormData goes through web
// streams, whose first use in a process cost the first press about 6 ms, in front of its message.

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export interface MultipartForm {
  /** Text fields, in order, before the file. */
  readonly fields: readonly (readonly [name: string, value: string])[];
  readonly file: {
    readonly field: string;
    readonly path: string;
    /** The file name the receiver sees. */
    readonly name: string;
    readonly contentType: string;
    /** Its size when the request was made; a file that changed since then fails the request (its length is sent first). */
    readonly bytes: number;
  };
}

export interface EncodedForm {
  readonly contentType: string;
  readonly length: number;
  readonly body: Readable;
}

/** Encoded anew for each attempt: a body is read once. */
export function encodeForm(form: MultipartForm): EncodedForm {
  const boundary = `----bttn-form-${randomBytes(12).toString('hex')}`;
  const part = (name: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${escape(normalizeLineBreaks(name))}"`;
  const { file } = form;
  const head = Buffer.from(form.fields.map(([name, value]) => `${part(name)}\r\n\r\n${normalizeLineBreaks(value)}\r\n`).join('')
    + `${part(file.field)}; filename="${escape(file.name)}"\r\nContent-Type: ${file.contentType}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: head.length + file.bytes + tail.length,
    // The file is opened only when the body is read: a request that never leaves leaves no file open.
    body: Readable.from((async function* () {
      yield head;
      if (file.bytes > 0) yield* createReadStream(file.path, { end: file.bytes - 1 });
      yield tail;
    })(), { objectMode: false }),
  };
}

/** As browsers and undici escape names in a part's header. */
function escape(text: string): string {
  return text.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
}

/** Text fields are sent with CRLF line breaks, as the HTML form encoding (and undici's FormData) does. */
function normalizeLineBreaks(text: string): string {
  return text.replace(/\r?\n|\r/g, '\r\n');
}
