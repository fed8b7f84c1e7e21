/**
 * Views live in the URL fragment: `#/`, `#/service/<name>`, `#/events`, `#/registry`. Names are
 * percent-encoded into the fragment and decoded out of it; nothing from the data ever becomes
 * an href (navigation is done by code).
 */
import { useEffect, useState } from 'preact/hooks';

/** The view shown. */
export type Route =
  | { readonly view: 'services' }
  | { readonly view: 'service'; readonly name: string }
  | { readonly view: 'events' }
  | { readonly view: 'registry' };

/** The route of a fragment (`#/…`); unknown fragments are the services view. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  if (path === 'events') return { view: 'events' };
  if (path === 'registry') return { view: 'registry' };
  if (path.startsWith('service/')) {
    try {
      return { view: 'service', name: decodeURIComponent(path.slice('service/'.length)) };
    } catch {
      return { view: 'services' };
    }
  }
  return { view: 'services' };
}

/** Shows `route`. */
export function navigate(route: Route): void {
  location.hash =
    route.view === 'service' ? `#/service/${encodeURIComponent(route.name)}` : route.view === 'services' ? '#/' : `#/${route.view}`;
}

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
