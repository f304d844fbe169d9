// The live decision stream (`GET /api/decisions/stream`, server-sent events). EventSource sends the
// session cookie on same-origin requests and reconnects by itself after a drop.
import { useEffect, useRef, useState } from 'react';
import type { AuditRecord } from '../api';

export type StreamState = 'connecting' | 'open' | 'closed';

export function useDecisionStream(onRecord: (r: AuditRecord) => void, enabled = true): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const cb = useRef(onRecord);
  cb.current = onRecord;
  useEffect(() => {
    if (!enabled) {
      setState('closed');
      return;
    }
    const es = new EventSource('/api/decisions/stream');
    setState('connecting');
    es.onopen = () => setState('open');
    es.onerror = () => setState(es.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
    const handle = (ev: MessageEvent) => {
      try {
        cb.current(JSON.parse(ev.data as string) as AuditRecord);
      } catch {
        // A malformed event is skipped; the audit log stays the source of truth.
      }
    };
    es.addEventListener('decision', handle as EventListener);
    return () => es.close();
  }, [enabled]);
  return state;
}
