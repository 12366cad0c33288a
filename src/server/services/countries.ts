/** The map's places are src/analyse's: one key per place for flows, origins and revenue by ships-from. */
export { placeOf, placeKey, type Place } from '../../analyse/index.ts';
