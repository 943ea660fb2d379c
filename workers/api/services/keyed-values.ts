/** The entries of `values` that are given (not undefined), in order: a PATCH's fields to set. */
export function keyedValues<V>(values: Record<string, V | undefined>): [string, V][] {
  return Object.entries(values).filter((entry): entry is [string, V] => entry[1] !== undefined);
}
