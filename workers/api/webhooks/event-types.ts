/**
 * Which events an endpoint receives. `event_types` lists exact types (`contact.created`) and
 * prefixes written `noun.*` (`contact.*`: every contact event); empty means every event. A bare
 * `*` is not accepted: "everything" is the empty list, one spelling per meaning. Each must
 * also name a catalogued type or noun (events/catalogue.ts): a typo would otherwise never match.
 */
export const EVENT_TYPE_FILTER = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.([a-z][a-z0-9_]*|\*)$/;

export function matchesEventTypes(filters: readonly string[], eventType: string): boolean {
  if (filters.length === 0) return true;
  return filters.some((filter) =>
    filter.endsWith(".*") ? eventType.startsWith(filter.slice(0, -1)) : filter === eventType,
  );
}
