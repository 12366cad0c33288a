import cytoscape from 'cytoscape';
import { useEffect, useRef } from 'react';

export interface GraphData {
  nodes: { id: number; handle: string; market: string; identity_id: number | null }[];
  edges: { id: number; source: number; target: number; score: number; status: string }[];
}

/** The console's font stack (styles.css) with its emoji fallback: canvas labels do not inherit CSS fonts. */
const LABEL_FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif, 'Apple Color Emoji', 'Segoe UI Emoji', 'Noto Color Emoji'";

const CYTOSCAPE_STYLESHEET_ID = '__________cytoscape_stylesheet';

/**
 * Cytoscape's renderer injects `<style>.__________cytoscape_container { position: relative; }</style>` into the
 * head unless an element with this id already exists (BaseRenderer.init in cytoscape 3.x); the console's CSP
 * (`style-src 'self'`) refuses inline styles and logs a violation. So the id is claimed by an inert `<meta>` and the
 * rule lives in styles.css. (Cytoscape's other styling goes through the CSSOM, which CSP allows.) Call before every
 * `cytoscape(…)`.
 */
export function cytoscapeWithoutInlineStyle(): void {
  if (document.getElementById(CYTOSCAPE_STYLESHEET_ID)) return;
  const marker = document.createElement('meta');
  marker.id = CYTOSCAPE_STYLESHEET_ID;
  marker.name = 'cytoscape-stylesheet';
  marker.content = 'in styles.css (CSP: no inline styles)';
  document.head.appendChild(marker);
}

/**
 * The link graph. For thousands of nodes: canvas renderer, no labels until zoomed in, textures while panning, and a
 * one-shot 'cose' layout with few iterations (a preset grid beyond 2,500 nodes).
 */
export function LinkGraph(props: { data: GraphData; onOpen: (vendorId: number) => void }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const big = props.data.nodes.length > 2500;
    cytoscapeWithoutInlineStyle();
    const cy = cytoscape({
      container: el.current,
      elements: [
        ...props.data.nodes.map((n) => ({ data: { id: `v${n.id}`, vid: n.id, label: `${n.handle} @ ${n.market}` } })),
        ...props.data.edges.map((e) => ({ data: { id: `e${e.id}`, source: `v${e.source}`, target: `v${e.target}`, score: e.score, status: e.status } })),
      ],
      style: [
        { selector: 'node', style: { width: 10, height: 10, 'background-color': '#2f6fde', label: 'data(label)', 'font-family': LABEL_FONT, 'font-size': 6, 'min-zoomed-font-size': 9, color: '#223' } },
        { selector: 'edge', style: { width: 'mapData(score, 0, 1, 0.5, 3)', 'line-color': '#9bb0d0', 'curve-style': 'haystack' } },
        { selector: 'edge[status = "confirmed"]', style: { 'line-color': '#1f9d55' } },
        { selector: 'node:selected', style: { 'background-color': '#e8590c' } },
      ],
      layout: big ? { name: 'grid' } : { name: 'cose', animate: false, numIter: 250, randomize: true },
      textureOnViewport: true,
      hideEdgesOnViewport: big,
      pixelRatio: 1,
      wheelSensitivity: 0.3,
    });
    cy.on('tap', 'node', (evt) => props.onOpen(evt.target.data('vid') as number));
    return () => cy.destroy();
  }, [props.data, props.onOpen]);
  return <div ref={el} className="graph" role="img" aria-label="link graph" />;
}
