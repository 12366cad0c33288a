import { useEffect, useState } from 'react';

/** Hash routing: '#/vendors/12' → ['vendors', '12']. No server round trip, works from the static build. */
export function useRoute(): string[] {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const on = () => setHash(window.location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#\/?/, '').split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
}

export function queryParam(name: string): string | null {
  const q = window.location.hash.split('?')[1];
  return q ? new URLSearchParams(q).get(name) : null;
}

export function go(path: string): void {
  window.location.hash = `#${path}`;
}

export function Link(props: { to: string; children: React.ReactNode; className?: string; title?: string }) {
  return (
    <a href={`#${props.to}`} className={props.className} title={props.title}>
      {props.children}
    </a>
  );
}
