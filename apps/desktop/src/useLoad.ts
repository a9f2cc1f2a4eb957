// Data a page shows, fetched through the bridge when it opens and again on `reload`: the state
// is set only when an answer arrives, and an answer for a page that has closed meanwhile is
// dropped. (As apps/mobile's useLoad.)

import { useCallback, useEffect, useState } from 'react';

import { message } from './bridge';

/** `fetch` is the caller's `useCallback`: a new one fetches again. */
export function useLoad<T>(fetch: () => Promise<T>) {
  const [state, setState] = useState<{ data: T | undefined; error: string | null; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    fetch().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (e: unknown) => live && setState((s) => ({ ...s, error: message(e), loading: false })),
    );
    return () => {
      live = false;
    };
  }, [fetch, tick]);
  const reload = useCallback(() => {
    setState((s) => ({ ...s, loading: true }));
    setTick((t) => t + 1);
  }, []);
  /** Changes the shown data in place (after a create or delete the server confirmed). */
  const setData = useCallback((change: (data: T | undefined) => T | undefined) => setState((s) => ({ ...s, data: change(s.data) })), []);
  const setError = useCallback((error: string | null) => setState((s) => ({ ...s, error })), []);
  return { ...state, reload, setData, setError };
}
