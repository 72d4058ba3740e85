/** A first-in first-out queue of at most `capacity` items: pushing onto a full queue evicts the oldest. */
export class BoundedQueue<T> {
  private readonly items: Array<T> = []
  private head = 0

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length
  }

  /** Appends `item`; returns the item it evicted, if the queue was full. */
  push(item: T): T | undefined {
    if (this.capacity <= 0) return item
    if (this.items.length < this.capacity) {
      this.items.push(item)
      return undefined
    }
    const evicted = this.items[this.head]
    this.items[this.head] = item
    this.head = (this.head + 1) % this.capacity
    return evicted
  }

  /** Oldest first. */
  *[Symbol.iterator](): IterableIterator<T> {
    const length = this.items.length
    for (let index = 0; index < length; index++) yield this.items[(this.head + index) % length]!
  }

  /** Newest first, stopping after `limit` items. */
  newest(limit: number, matches: (item: T) => boolean = () => true): Array<T> {
    const result: Array<T> = []
    const length = this.items.length
    for (let index = length - 1; index >= 0 && result.length < limit; index--) {
      const item = this.items[(this.head + index) % length]!
      if (matches(item)) result.push(item)
    }
    return result
  }
}
