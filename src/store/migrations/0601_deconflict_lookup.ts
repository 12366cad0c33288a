import type { Migration } from './types.ts';

/** Identity hits look crawl selectors up by kind and value across agencies (selectors' own key leads with agency). */
export const migration: Migration = {
  id: 601,
  name: 'deconflict_lookup',
  up: `create index if not exists selectors_kind_value on selectors (kind, value);`,
};
