/**
 * What an export pipeline holds, in order: items waiting for a batch, batches encoded and waiting
 * (or retrying), and batches in flight, counted in items and in data points. A batch is encoded
 * as soon as it is cut (held batches cost bytes, not objects).
 */
import { formatBytes } from "../Format.js"
import type { Options } from "./pipelineOptions.js"
import type { DropReason } from "./pipelineReport.js"

/** An encoded batch. */
export interface Batch<Payload> {
  readonly payload: Payload
  readonly count: number
  readonly points: number
  firstFailureAt: number | undefined
}

type QueueOptions<Item, Payload> = Pick<
  Options<Item, Payload>,
  "maxBatchSize" | "encode" | "itemPoints" | "sizeOf" | "maxMessageBytes" | "describeItem"
>

export class BatchQueue<Item, Payload> {
  /** Items waiting for a batch. */
  readonly pending: Array<Item> = []
  private readonly ready: Array<Batch<Payload>> = []
  private readyItems = 0
  private readyPoints = 0
  private inFlightItems = 0
  private inFlightPoints = 0

  constructor(
    private readonly options: QueueOptions<Item, Payload>,
    /** Items that cannot be sent: an encoding failure, or one item too large for a request. */
    private readonly drop: (points: number, reason: DropReason, detail: string) => void
  ) {}

  /** Items held: waiting for a batch, encoded and waiting or retrying, and in flight. */
  get size(): number {
    return this.pending.length + this.readyItems + this.inFlightItems
  }

  /** Data points held. */
  get points(): number {
    return this.pointsOf(this.pending) + this.readyPoints + this.inFlightPoints
  }

  /** Whether an encoded batch waits to be sent. */
  get hasReady(): boolean {
    return this.ready.length > 0
  }

  pointsOf(items: ReadonlyArray<Item>): number {
    const { itemPoints } = this.options
    return itemPoints === undefined ? items.length : items.reduce((sum, item) => sum + itemPoints(item), 0)
  }

  /** Cuts full batches (all of them, partial included, when `all`) and encodes them. */
  cut(all: boolean) {
    const { maxBatchSize } = this.options
    while (this.pending.length >= maxBatchSize || (all && this.pending.length > 0)) {
      this.encode(this.pending.splice(0, maxBatchSize))
    }
  }

  /** The next batch to send, counted as in flight from now on. */
  take(): Batch<Payload> {
    const batch = this.ready.shift()!
    this.readyItems -= batch.count
    this.readyPoints -= batch.points
    this.inFlightItems += batch.count
    this.inFlightPoints += batch.points
    return batch
  }

  /** A batch's call is over: it is no longer in flight. */
  settled(batch: Batch<Payload>) {
    this.inFlightItems -= batch.count
    this.inFlightPoints -= batch.points
  }

  /** A batch to retry goes back to the front, keeping its place. */
  requeue(batch: Batch<Payload>) {
    this.ready.unshift(batch)
    this.readyItems += batch.count
    this.readyPoints += batch.points
  }

  /**
   * Lets go of everything not in flight (at shutdown); says how many points were not delivered,
   * those in flight included, and how many of those are in flight.
   */
  clear(): { readonly undelivered: number; readonly inFlight: number } {
    const inFlight = this.inFlightPoints
    const undelivered = this.readyPoints + this.inFlightPoints
    this.pending.length = 0
    this.ready.length = 0
    this.readyItems = 0
    this.readyPoints = 0
    return { undelivered, inFlight }
  }

  /**
   * Encodes a batch and queues it; a batch whose request would exceed the message size is split
   * in halves until each fits, and a single item that cannot fit is dropped alone, so it never
   * takes its batch-mates with it nor blocks what comes after.
   */
  private encode(items: Array<Item>) {
    let payload: Payload | undefined
    try {
      payload = this.options.encode(items)
    } catch (error) {
      this.drop(this.pointsOf(items), "unexpected_failure", String(error))
      return
    }
    if (payload === undefined) return
    const { sizeOf, maxMessageBytes } = this.options
    const size = sizeOf === undefined || maxMessageBytes === undefined ? 0 : sizeOf(payload)
    if (size > maxMessageBytes!) {
      if (items.length > 1) {
        const half = Math.ceil(items.length / 2)
        this.encode(items.slice(0, half))
        this.encode(items.slice(half))
        return
      }
      const name = this.options.describeItem?.(items[0]!)
      this.drop(this.pointsOf(items), "too_large", `${name === undefined ? "" : `${JSON.stringify(name)}: `}${formatBytes(size)} encoded`)
      return
    }
    const points = this.pointsOf(items)
    this.ready.push({ payload, count: items.length, points, firstFailureAt: undefined })
    this.readyItems += items.length
    this.readyPoints += points
  }
}
