/**
 * THE ENGINE SEAM — replaced by imports from `@lingo-obs/otlp` when the engine package is merged.
 *
 * The Effect 4 line sits on the Effect-free engine (`@lingo-obs/otlp`), which is being extracted
 * from `@lingo-obs/core` in another branch. `@lingo-obs/core` cannot be imported here: it depends
 * on Effect 3 and runs an Effect 3 version check. Until the merge, this file holds the smallest
 * stand-ins the Effect 4 modules need to compile and be tested: types of the engine's span encoder
 * and span limits, and minimal versions of the value helpers and of the fiber context manager.
 * At the merge, each export below is deleted and its users import the engine's:
 *
 * | here                         | engine (today in @lingo-obs/core)                         |
 * |------------------------------|-----------------------------------------------------------|
 * | `SpanLimits`, `truncateValue`, `limitRecord` | `SpanLimits` (export/SpanLimits.ts)       |
 * | `SpanRecord`, `EventRecord`, `SpanRecordEncoder`, `randomId` | `SpanEncoder` (export/SpanEncoder.ts) |
 * | `toAttributeValue`           | `Attributes.toAttributeValue` (Attributes.ts)             |
 * | `FiberContextManager`        | tracing/internal/contextManager.ts (with its per-turn trust) |
 * | `samplingFor`                | tracing's `AdjustableSampler` (Tracing.ts)                |
 *  *
 * Nothing in this file imports `effect`: the engine has no Effect either.
 */
import { AsyncLocalStorage } from "node:async_hooks"
import { randomBytes } from "node:crypto"
import type * as OtelApi from "@opentelemetry/api"
import { ROOT_CONTEXT } from "@opentelemetry/api"
import { AlwaysOffSampler, AlwaysOnSampler, type Sampler, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace-base"

// ---------------------------------------------------------------------------------------------
// Span limits
// ---------------------------------------------------------------------------------------------

/** What a span keeps (the OpenTelemetry specification's limits); the rest is counted as dropped. */
export interface SpanLimits {
  readonly attributeCountLimit: number
  readonly attributeValueLengthLimit: number
  readonly eventCountLimit: number
  readonly linkCountLimit: number
  readonly eventAttributeCountLimit: number
  readonly linkAttributeCountLimit: number
}

/** A string value (or each string of an array value) cut to `limit` characters. */
export const truncateValue = <A>(value: A, limit: number): A =>
  typeof value === "string"
    ? (value.length > limit ? value.slice(0, limit) : value) as A
    : Array.isArray(value)
    ? value.map((item: unknown) => (typeof item === "string" && item.length > limit ? item.slice(0, limit) : item)) as A
    : value

/** At most `limit` entries of `record`, values cut to `valueLimit`, and how many were left out. */
export const limitRecord = <V>(
  record: Readonly<Record<string, V>>,
  limit: number,
  valueLimit: number
): { readonly attributes: Record<string, V>; readonly dropped: number } => {
  const entries = Object.entries(record)
  const attributes: Record<string, V> = {}
  for (const [key, value] of entries.slice(0, limit)) attributes[key] = truncateValue(value, valueLimit)
  return { attributes, dropped: Math.max(0, entries.length - limit) }
}

// ---------------------------------------------------------------------------------------------
// Span records and the encoder (types only: the encoder itself is the engine's)
// ---------------------------------------------------------------------------------------------

export interface EventRecord {
  readonly name: string
  readonly time: bigint
  readonly attributes: Readonly<Record<string, unknown>> | undefined
}

export interface LinkRecord {
  readonly traceId: string
  readonly spanId: string
  readonly traceFlags: number
  readonly isRemote?: boolean | undefined
  readonly attributes: Readonly<Record<string, unknown>> | undefined
}

/** An ended span as the engine's encoder writes it (OTLP `Span`). */
export interface SpanRecord {
  readonly traceId: string
  readonly spanId: string
  readonly traceFlags: number
  readonly parentSpanId: string | undefined
  readonly parentIsRemote: boolean | undefined
  readonly name: string
  readonly kind: OtelApi.SpanKind
  readonly startTime: bigint
  readonly endTime: bigint
  readonly attributes: ReadonlyMap<string, unknown> | undefined
  readonly extraAttributes: Readonly<Record<string, unknown>> | undefined
  readonly droppedAttributesCount: number
  readonly events: ReadonlyArray<EventRecord> | undefined
  readonly droppedEventsCount: number
  readonly links: ReadonlyArray<LinkRecord> | undefined
  readonly droppedLinksCount: number
  readonly statusCode: OtelApi.SpanStatusCode
  readonly statusMessage: string | undefined
}

/** The part of the engine's `SpanEncoder` the tracer calls: one span to OTLP bytes. */
export interface SpanRecordEncoder {
  encodeSpan(span: SpanRecord): Uint8Array
}

/** A random, non-zero trace (16 bytes) or span (8 bytes) id in lower-case hex. */
export const randomId = (bytes: 8 | 16): string => {
  for (;;) {
    const id = randomBytes(bytes).toString("hex")
    if (!/^0+$/.test(id)) return id
  }
}

// ---------------------------------------------------------------------------------------------
// Attribute values
// ---------------------------------------------------------------------------------------------

const isArrayOf = (value: unknown, type: "string" | "number" | "boolean"): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === type)

/**
 * A span attribute value: primitives and homogeneous arrays as they are, a bigint as its digits,
 * anything else as JSON indented by two spaces (what the Effect 3 line writes), circular
 * references left out.
 */
export const toAttributeValue = (value: unknown): OtelApi.AttributeValue => {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value
    case "bigint":
      return value.toString()
  }
  if (isArrayOf(value, "string") || isArrayOf(value, "number") || isArrayOf(value, "boolean")) {
    return value as OtelApi.AttributeValue
  }
  if (typeof value !== "object" || value === null) return String(value)
  const seen = new WeakSet<object>()
  try {
    return JSON.stringify(value, (_, item: unknown) => {
      if (typeof item === "bigint") return item.toString()
      if (typeof item === "object" && item !== null) {
        if (seen.has(item)) return undefined
        seen.add(item)
      }
      return item
    }, 2)
  } catch {
    return String(value)
  }
}

// ---------------------------------------------------------------------------------------------
// The fiber context manager
// ---------------------------------------------------------------------------------------------

/**
 * AsyncLocalStorage, as the SDK's context manager, plus `enter`/`leave`, which make a context
 * active for the rest of the current execution without a callback: the tracer's hook runs before
 * every operation of a fiber and cannot wrap it. This stand-in re-checks the store on every call
 * (`trusted()` is always false); the engine's keeps a per-turn trust that saves that look-up.
 */
export class FiberContextManager implements OtelApi.ContextManager {
  private readonly storage = new AsyncLocalStorage<OtelApi.Context>()
  /** Contexts made active by `enter`: `leave` undoes only those, never a context a library made active with `with`. */
  private readonly entered = new WeakSet<OtelApi.Context>()

  active(): OtelApi.Context {
    return this.storage.getStore() ?? ROOT_CONTEXT
  }

  with<A extends Array<unknown>, F extends (...args: A) => ReturnType<F>>(
    context: OtelApi.Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const callback = thisArg === undefined ? fn : fn.bind(thisArg)
    return this.storage.run(context, callback as never, ...args) as ReturnType<F>
  }

  bind<T>(context: OtelApi.Context, target: T): T {
    if (typeof target !== "function") return target
    const manager = this
    return function(this: unknown, ...args: Array<unknown>) {
      return manager.with(context, () => (target as (...a: Array<unknown>) => unknown).apply(this, args))
    } as T
  }

  /** Whether what `enter`/`leave` last did still holds without asking the store (never, here). */
  trusted(): boolean {
    return false
  }

  /** Makes `context` active for the rest of the current execution (the fiber's operation). */
  enter(context: OtelApi.Context): void {
    if (this.storage.getStore() === context) return
    this.entered.add(context)
    this.storage.enterWith(context)
  }

  /** Leaves what `enter` made active (a fiber without a span runs next). */
  leave(): void {
    const current = this.storage.getStore()
    if (current !== undefined && this.entered.has(current)) this.storage.enterWith(ROOT_CONTEXT)
  }

  enable(): this {
    return this
  }

  disable(): this {
    this.storage.disable()
    return this
  }
}

// ---------------------------------------------------------------------------------------------
// Sampling
// ---------------------------------------------------------------------------------------------

/**
 * The root sampler of an `OTEL_TRACES_SAMPLER` name and ratio, and whether children follow their
 * parent (the `parentbased_*` names). The engine's `AdjustableSampler` also changes the ratio at
 * run time (`Reconfigure`).
 */
export const samplingFor = (
  kind: string,
  ratio: number
): { readonly root: () => Sampler; readonly parentBased: boolean } => {
  const root: Sampler = kind.endsWith("always_on") || (kind.endsWith("traceidratio") && ratio >= 1)
    ? new AlwaysOnSampler()
    : kind.endsWith("always_off")
    ? new AlwaysOffSampler()
    : new TraceIdRatioBasedSampler(ratio)
  return { root: () => root, parentBased: kind.startsWith("parentbased_") }
}
