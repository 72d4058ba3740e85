/**
 * A first-in first-out queue of at most `capacity` items: pushing onto a full queue evicts the
 * oldest, and the oldest can be taken off early (the store's byte bound does).
 */
export class BoundedQueue<T> {
  private items: Array<T | undefined> = []
  private head = 0

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length - this.head
  }

  /** Appends `item`; returns the item it evicted, if the queue was full. */
  push(item: T): T | undefined {
    if (this.capacity <= 0) return item
    this.items.push(item)
    return this.size > this.capacity ? this.shift() : undefined
  }

  /** The oldest item, left in place. */
  oldest(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head]
  }

  /** Takes the oldest item off. */
  shift(): T | undefined {
    if (this.size === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head++
    // Taken slots are dropped in bulk, so a shift costs O(1) on average.
    if (this.head >= 1_024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let index = this.head; index < this.items.length; index++) yield this.items[index]!
  }

  /** Newest first, stopping after `limit` items. */
  newest(limit: number, matches: (item: T) => boolean = () => true): Array<T> {
    const result: Array<T> = []
    for (let index = this.items.length - 1; index >= this.head && result.length < limit; index--) {
      const item = this.items[index]!
      if (matches(item)) result.push(item)
    }
    return result
  }
}
