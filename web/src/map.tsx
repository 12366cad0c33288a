import { geoNaturalEarth1, geoPath } from 'd3-geo';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { useMemo, useState } from 'react';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
// Natural Earth 1:110m countries, bundled into the console at build time (never fetched at run time).
import atlas from 'world-atlas/countries-110m.json' with { type: 'json' };
import { fmtUsd } from './ui.tsx';

import type { ShippingFlowMap } from '../../src/server/index.ts';

/** What GET /api/reports/shipping-flows answers (types only: nothing of the server is bundled). */
export type FlowMapData = Pick<ShippingFlowMap, 'flows' | 'origins'>;

const W = 960;
const H = 470;
type Country = Feature<Geometry, { name: string }>;

/** The world, projected once per page load. */
function useWorld() {
  return useMemo(() => {
    const topo = atlas as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
    const countries = (feature(topo, topo.objects.countries) as FeatureCollection<Geometry, { name: string }>).features as Country[];
    const projection = geoNaturalEarth1().fitExtent([[4, 4], [W - 4, H - 4]], { type: 'Sphere' });
    const path = geoPath(projection);
    const byId = new Map<string, { d: string; centroid: [number, number]; name: string }>();
    const shapes = countries.map((c) => {
      const d = path(c) ?? '';
      const id = String(c.id ?? '');
      // Multi-part countries (France with Guiana, the US with Alaska): place the marker on the largest part.
      const centroid = largestPartCentroid(c, path);
      if (id) byId.set(id.padStart(3, '0'), { d, centroid, name: c.properties.name });
      return { id, d, name: c.properties.name };
    });
    return { shapes, byId, sphere: path({ type: 'Sphere' }) ?? '' };
  }, []);
}

function largestPartCentroid(c: Country, path: ReturnType<typeof geoPath>): [number, number] {
  if (c.geometry.type !== 'MultiPolygon') return path.centroid(c);
  let best: [number, number] = path.centroid(c);
  let bestArea = -1;
  for (const coordinates of c.geometry.coordinates) {
    const part = { type: 'Polygon' as const, coordinates };
    const a = path.area(part);
    if (a > bestArea) {
      bestArea = a;
      best = path.centroid(part);
    }
  }
  return best;
}

type Metric = 'listings' | 'revenue';

/**
 * Shipping flows on a world map: an arc per ships-from → ships-to country pair (width by listings), a circle per
 * origin (area by listings or estimated revenue). Every flow is also a keyboard-reachable row in the list beside
 * the map; focusing or hovering either highlights both. Regions (worldwide, EU) and unstated destinations, which
 * have no place on a map, are listed as such.
 */
export function FlowMap(props: { data: FlowMapData }) {
  const world = useWorld();
  const [metric, setMetric] = useState<Metric>('listings');
  const [active, setActive] = useState<string | null>(null);
  const { data } = props;

  const placed = data.flows.filter((f) => f.fromPlace.kind === 'country' && f.toPlace.kind === 'country' && f.from !== f.to);
  const arcs = placed.flatMap((f) => {
    const a = f.fromPlace.kind === 'country' ? world.byId.get(f.fromPlace.numeric) : undefined;
    const b = f.toPlace.kind === 'country' ? world.byId.get(f.toPlace.numeric) : undefined;
    return a && b ? [{ key: `${f.from}→${f.to}`, f, a: a.centroid, b: b.centroid }] : [];
  });
  const origins = data.origins.flatMap((o) => {
    const at = o.place.kind === 'country' ? world.byId.get(o.place.numeric) : undefined;
    return at ? [{ ...o, at: at.centroid }] : [];
  });
  const elsewhere = data.flows.filter((f) => f.toPlace.kind !== 'country' || f.fromPlace.kind !== 'country');
  const domestic = data.flows.filter((f) => f.fromPlace.kind === 'country' && f.from === f.to);
  const maxListings = Math.max(1, ...arcs.map((x) => x.f.listings));
  const size = (o: (typeof origins)[number]) => (metric === 'revenue' ? (o.revenueUsd?.value ?? 0) : o.listings);
  const maxSize = Math.max(1e-9, ...origins.map(size));
  const originCodes = new Set(origins.map((o) => (o.place.kind === 'country' ? o.place.numeric : '')));
  const destCodes = new Set(arcs.map((x) => (x.f.toPlace.kind === 'country' ? x.f.toPlace.numeric : '')));

  if (!data.flows.length) return <div className="state empty">No shipping data in this period: no listing snapshot states where it ships from.</div>;

  return (
    <div className="flowmap">
      <div className="flowmap-controls" role="radiogroup" aria-label="origin circles show">
        <span className="muted small">Origin circles by</span>
        {(['listings', 'revenue'] as const).map((m) => (
          <button key={m} type="button" role="radio" aria-checked={metric === m} className={metric === m ? '' : 'secondary'} onClick={() => setMetric(m)}>
            {m === 'listings' ? 'listings' : 'est. revenue'}
          </button>
        ))}
      </div>
      <div className="flowmap-body">
        <svg viewBox={`0 0 ${W} ${H}`} className="flowmap-svg" role="img" aria-label={arcs.length ? `World map: ${arcs.length} shipping flows between countries from ${origins.length} origin(s)` : `World map: no flows between countries; ${origins.length} origin(s)`}>
          <path d={world.sphere} className="fm-sphere" />
          <g className="fm-countries">
            {world.shapes.map((s, i) => (
              <path key={s.id || i} d={s.d} className={originCodes.has(s.id) ? 'fm-country fm-origin-country' : destCodes.has(s.id) ? 'fm-country fm-dest-country' : 'fm-country'}>
                <title>{s.name}</title>
              </path>
            ))}
          </g>
          <g className="fm-arcs">
            {arcs.map(({ key, f, a, b }) => {
              const [mx, my] = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
              const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
              const bend = 0.25; // arcs bow to the left of their direction, so A→B and B→A do not overlap
              const d = `M${a[0]},${a[1]} Q${mx - dy * bend},${my + dx * bend} ${b[0]},${b[1]}`;
              return (
                <path
                  key={key}
                  d={d}
                  className={`fm-arc${active === key ? ' active' : ''}`}
                  strokeWidth={1 + (5 * f.listings) / maxListings}
                  onMouseEnter={() => setActive(key)}
                  onMouseLeave={() => setActive(null)}
                >
                  <title>{`${f.from} → ${f.to}: ${f.listings} listing(s)`}</title>
                </path>
              );
            })}
          </g>
          <g className="fm-origins">
            {origins.map((o) => (
              <circle key={o.label} cx={o.at[0]} cy={o.at[1]} r={3 + 14 * Math.sqrt(size(o) / maxSize)} className="fm-origin">
                <title>{`${o.place.name}: ${o.listings} listing(s) shipping from here${o.revenueUsd ? `, est. revenue ${fmtUsd(o.revenueUsd.value)} (95% ${fmtUsd(o.revenueUsd.low)}–${fmtUsd(o.revenueUsd.high)})` : ''}`}</title>
              </circle>
            ))}
          </g>
        </svg>
        <div className="flowmap-list">
          {arcs.length === 0 && (
            <p className="state empty fm-no-international">
              No flows between countries in this data: every listing with a stated origin ships within its own country,
              to a region or to an unstated destination (listed under “Not drawn”), so the map shows origins only.
            </p>
          )}
          {arcs.length > 0 && <table>
            <caption className="muted small">Flows between countries ({arcs.length}); Tab to walk them</caption>
            <thead><tr><th>from</th><th>to</th><th className="num">listings</th></tr></thead>
            <tbody>
              {arcs.slice(0, 15).map(({ key, f }) => (
                <tr
                  key={key}
                  tabIndex={0}
                  className={`fm-row${active === key ? ' active' : ''}`}
                  aria-label={`${f.fromPlace.name} to ${f.toPlace.name}: ${f.listings} listings`}
                  onFocus={() => setActive(key)}
                  onBlur={() => setActive(null)}
                  onMouseEnter={() => setActive(key)}
                  onMouseLeave={() => setActive(null)}
                >
                  <td>{f.fromPlace.name}</td><td>{f.toPlace.name}</td><td className="num">{f.listings}</td>
                </tr>
              ))}
            </tbody>
          </table>}
          {arcs.length > 15 && <p className="muted small">…and {arcs.length - 15} smaller flows on the map.</p>}
          {(elsewhere.length > 0 || domestic.length > 0) && (
            <>
              <h3>Not drawn</h3>
              <ul className="fm-elsewhere small">
                {domestic.slice(0, 6).map((f) => <li key={`d${f.from}`} className="fm-domestic">{f.fromPlace.name} domestic: {f.listings}</li>)}
                {elsewhere.slice(0, 8).map((f) => <li key={`e${f.from}→${f.to}`}>{f.fromPlace.name} → {f.toPlace.name}: {f.listings}</li>)}
              </ul>
            </>
          )}
        </div>
      </div>
      <p className="muted small">Arcs: listings seen shipping from → to (width by count). Circles: origins, by {metric === 'revenue' ? 'estimated revenue (feedback × price ÷ feedback rate)' : 'listings'}. Map: Natural Earth 1:110m, bundled.</p>
    </div>
  );
}

