/**
 * Partner feeds (postal operators, financial institutions): minimal lists of selectors, exportable as a STIX
 * package (`buildPackage` with a `feed` subject) or as CSV for a spreadsheet. Spreadsheets execute cells that
 * start with = + - @ (and tab / carriage return), so such cells are neutralised with a leading apostrophe
 * (OWASP "CSV injection").
 */
import type { RegisteredSelectorKind } from '../deconflict/selectors.ts';
import { normalizeRegisteredSelector } from '../deconflict/selectors.ts';
import type { Tlp } from '../domain/tlp.ts';
import { buildPackage } from './stix/build.ts';
import type { PackageManifest } from './stix/build.ts';
import type { StixBundle } from './stix/schemas.ts';

export interface FeedEntry {
  kind: RegisteredSelectorKind;
  value: string;
  /** Short free text for the partner (e.g. "return address on parcels"). */
  label?: string;
  /** ISO 3166-1 alpha-2; required for postal addresses. */
  country?: string;
  firstSeen?: string;
}

export interface FeedInput {
  producer: { agencyId: string; name: string; contact?: string };
  /** Stable id and name of the feed ("postal-nl", "Postal operator feed NL"). */
  id: string;
  name: string;
  description?: string;
  tlp: Tlp;
  entries: FeedEntry[];
  created?: string;
}

export function buildFeedPackage(input: FeedInput): { bundle: StixBundle; manifest: PackageManifest } {
  return buildPackage({
    producer: input.producer,
    subject: { kind: 'feed', id: input.id, name: input.name, ...(input.description ? { description: input.description } : {}) },
    selectors: input.entries.map((e) => ({
      kind: e.kind,
      value: e.value,
      ...(e.country ? { country: e.country } : {}),
      ...(e.firstSeen ? { firstSeen: e.firstSeen } : {}),
    })),
    tlp: input.tlp,
    ...(input.created ? { created: input.created } : {}),
  });
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell (RFC 4180 quoting), with spreadsheet formula triggers neutralised. */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The feed as CSV: a TLP line first (the marking travels with the file), then kind,value,label,country,first_seen. */
export function feedCsv(input: Pick<FeedInput, 'tlp' | 'entries'>): string {
  const lines = [`# TLP:${input.tlp}`, 'kind,value,label,country,first_seen'];
  for (const e of input.entries) {
    lines.push(
      [e.kind, normalizeRegisteredSelector(e.kind, e.value), e.label ?? '', e.country?.toUpperCase() ?? '', e.firstSeen ?? '']
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
