// The status page's event stream as a test reads it: everything it sent so far, as text.
import assert from 'node:assert/strict';

export interface EventStream {
  /** Everything received since the stream opened. */
  text(): string;
  close(): void;
}

/** Opens the stream at `url` (it must answer 200) and keeps reading it until `close()`. */
export async function listen(url: string): Promise<EventStream> {
  const stop = new AbortController();
  const response = await fetch(url, { signal: stop.signal });
  assert.equal(response.status, 200);
  let text = '';
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of response.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
    } catch {
      // aborted by close()
    }
  })();
  return { text: () => text, close: () => stop.abort() };
}
