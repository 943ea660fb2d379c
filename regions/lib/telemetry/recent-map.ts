/**
 * A map that remembers at least the last `capacity` keys set and at most twice as many, in O(1)
 * per call: two generations, the older dropped whole when the newer fills. Evicting a Map's
 * oldest key one by one (`keys().next()` then `delete`) is not O(1) in V8, which leaves deleted
 * slots at the front for the iterator to walk until the table is rebuilt.
 */
export class RecentMap<K, V> {
  #current = new Map<K, V>();
  #previous = new Map<K, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(key: K): V | undefined {
    return this.#current.get(key) ?? this.#previous.get(key);
  }

  set(key: K, value: V): void {
    this.#current.set(key, value);
    if (this.#current.size >= this.#capacity) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
  }
}
