/**
 * The gateway's event feed (`GET /api/events`, server-sent events). Read with fetch and a stream
 * reader rather than EventSource because EventSource cannot send the session's bearer token.
 * Parses the text/event-stream framing (WHATWG HTML §9.2): blank-line separated blocks of
 * `event:` / `data:` / `id:` lines. Reconnects with the last id after a drop.
 */
export interface FeedEvent { event: string; data: string; id?: string }

export function subscribeEvents(origin: string, token: string, onEvent: (e: FeedEvent) => void, onError: (e: unknown) => void): () => void {
  const abort = new AbortController();
  let lastId = '0';
  const run = async () => {
    while (!abort.signal.aborted) {
      try {
        const response = await fetch(`${origin}/api/events?since=${encodeURIComponent(lastId)}`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
        if (!response.ok || !response.body) throw new Error(`event feed answered ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += value;
          let cut: number;
          while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
            const e: FeedEvent = { event: 'message', data: '' };
            for (const line of block.split(/\r?\n/)) {
              const [field, ...rest] = line.split(':');
              const v = rest.join(':').replace(/^ /, '');
              if (field === 'event') e.event = v; else if (field === 'data') e.data += (e.data ? '\n' : '') + v; else if (field === 'id') e.id = v;
            }
            if (e.id) lastId = e.id;
            if (e.data || e.event !== 'message') onEvent(e);
          }
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        onError(error);
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
  };
  void run();
  return () => abort.abort();
}
