/* global location, URLSearchParams */
/** Hash routes: `#/path/segments?query`. Segments are URI-encoded, so ids may hold any character. */

export function currentRoute() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?', 2);
  const segments = path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { path, segments, query: Object.fromEntries(new URLSearchParams(search)) };
}

/** `#/principals/agent%2F7?from=…` from segments and a query (empty values dropped). */
export function href(segments, query = {}) {
  const path = `/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
  const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  return `#${path}${search ? `?${search}` : ''}`;
}

export function navigate(segments, query = {}) {
  const target = href(segments, query);
  if (location.hash === target) return false;
  location.hash = target;
  return true;
}

export const links = {
  actions: (query) => href(['actions'], query),
  principal: (id) => href(['principals', id]),
  detections: (query) => href(['detections'], query),
  detection: (id) => href(['detections', id]),
  containments: (query) => href(['containments'], query),
  containment: (id) => href(['containments', id]),
};
