// A minimal text/event-stream reader for streams fetched with the session's bearer token
// (EventSource cannot send one). Only what GET /runs/:id/events sends: `event:` and one `data:`
// line per event; comments (heartbeats) are reported so a caller can tell the stream is alive.

export interface SseMessage {
  event: string;
  data: string;
}

/** Feeds chunks of text in, gets whole events out; a partial event waits for the next chunk. */
export class SseParser {
  private buffer = '';

  push(text: string): (SseMessage | { comment: string })[] {
    this.buffer += text.replace(/\r\n?/g, '\n');
    const out: (SseMessage | { comment: string })[] = [];
    for (let end = this.buffer.indexOf('\n\n'); end !== -1; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      let comment: string | undefined;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comment = line.slice(1).trim();
        else if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) out.push({ event, data: data.join('\n') });
      else if (comment !== undefined) out.push({ comment });
    }
    return out;
  }
}
