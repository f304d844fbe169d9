// A tiny history router: the gateway serves index.html for every dashboard path, so plain
// paths (/policies/everything) work on reload and in bookmarks.
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function subscribe(fn: () => void) {
  listeners.add(fn);
  window.addEventListener('popstate', fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener('popstate', fn);
  };
}

export function navigate(path: string): void {
  if (path === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', path);
  for (const fn of listeners) fn();
}

export function useRoute(): { path: string; parts: string[] } {
  const path = useSyncExternalStore(subscribe, () => window.location.pathname);
  return { path, parts: path.split('/').filter(Boolean).map(decodeURIComponent) };
}
