/**
 * TLP 2.0 marking definitions, exactly as published by OASIS in cti-stix-common-objects
 * (extension-definition-specifications/tlp-2.0): fixed ids, fixed `created`, and the `tlp_2_0` property
 * extension. Recipients recognise them by id, so these objects are never generated.
 */
import type { Tlp } from '../../domain/tlp.ts';

export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
export const TLP2_CREATED = '2022-10-01T00:00:00.000Z';

export const TLP2_MARKING_IDS: Readonly<Record<Tlp, string>> = {
  CLEAR: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  GREEN: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  AMBER: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'AMBER+STRICT': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  RED: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
};

/** TLP 1.0 markings predefined by STIX 2.1 §7.2.1.4; read on import (WHITE is TLP 2.0's CLEAR). */
export const TLP1_MARKING_IDS: Readonly<Record<'WHITE' | 'GREEN' | 'AMBER' | 'RED', string>> = {
  WHITE: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
  GREEN: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
  AMBER: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
  RED: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
};

export interface Tlp2MarkingDefinition {
  type: 'marking-definition';
  spec_version: '2.1';
  id: string;
  created: string;
  name: string;
  extensions: Record<string, { extension_type: 'property-extension'; tlp_2_0: string }>;
}

export function tlp2MarkingDefinition(tlp: Tlp): Tlp2MarkingDefinition {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: TLP2_MARKING_IDS[tlp],
    created: TLP2_CREATED,
    name: `TLP:${tlp}`,
    extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: tlp.toLowerCase() } },
  };
}

const BY_ID = new Map<string, Tlp>([
  ...Object.entries(TLP2_MARKING_IDS).map(([tlp, id]) => [id, tlp as Tlp] as const),
  [TLP1_MARKING_IDS.WHITE, 'CLEAR'],
  [TLP1_MARKING_IDS.GREEN, 'GREEN'],
  [TLP1_MARKING_IDS.AMBER, 'AMBER'],
  [TLP1_MARKING_IDS.RED, 'RED'],
]);

/** The TLP level a marking-definition id stands for (TLP 1.0 ids map to their TLP 2.0 equivalents). */
export function tlpOfMarkingId(id: string): Tlp | undefined {
  return BY_ID.get(id);
}
