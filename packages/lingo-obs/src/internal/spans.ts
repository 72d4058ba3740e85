/**
 * Span plumbing for the middleware's request path, done synchronously inside the one fiber step
 * that starts a request (`Effect.withFiber`) instead of as a chain of Effect operations: starting
 * a span at a given time through the fiber's tracer (as `Effect.makeSpan` does: the tracer switch,
 * span annotations and links of the environment, trace levels), renaming it once the route is
 * known, and ending it with an exit chosen by the protocol (a 404 is a failed Effect but not an
 * errored span; a 500 response may come from a successful Effect). Only Effect's public tracing
 * API is used, so whichever tracer is installed receives the spans.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"

/** Nanoseconds since the epoch on the fiber's clock. */
export const nowNanos = (fiber: Fiber.Fiber<unknown, unknown>): bigint => fiber.getRef(Clock.Clock).currentTimeNanosUnsafe()

export interface StartOptions {
  readonly kind: Tracer.SpanKind
  /** The parent; `undefined` means the current span of the fiber, `null` a root span. */
  readonly parent: Tracer.AnySpan | null | undefined
  readonly attributes: Readonly<Record<string, unknown>>
  /** Replaces the fiber's tracer. */
  readonly tracer?: Tracer.Tracer | undefined
}

/** The fiber's span as a parent, skipping spans made under `DisablePropagation` (as Effect does). */
const currentParent = (span: Tracer.AnySpan | undefined): Option.Option<Tracer.AnySpan> => {
  while (span !== undefined && Context.get(span.annotations, Tracer.DisablePropagation)) {
    span = span._tag === "Span" ? Option.getOrUndefined(span.parent) : undefined
  }
  return span === undefined ? Option.none() : Option.some(span)
}

const NO_ANNOTATIONS = Context.empty()

/**
 * Starts a span at `startTime` in `fiber`, as `Effect.makeSpan` would; `undefined` when the
 * fiber's tracer is switched off (`Effect.withTracerEnabled(false)`): the request is then served
 * without a span of its own.
 */
export const unsafeStart = (
  fiber: Fiber.Fiber<unknown, unknown>,
  name: string,
  options: StartOptions,
  startTime: bigint
): Tracer.Span | undefined => {
  if (!fiber.cache.tracerEnabled) return undefined
  const tracer = options.tracer ?? fiber.cache.tracer ?? Tracer.nativeTracer
  const parent = options.parent === null
    ? Option.none<Tracer.AnySpan>()
    : options.parent === undefined
    ? currentParent(fiber.cache.span)
    : Option.some(options.parent)
  const links = fiber.getRef(References.TracerSpanLinks)
  const sampled = parent._tag === "Some" && !parent.value.sampled
    ? false
    : !LogLevel.isGreaterThan(fiber.getRef(Tracer.MinimumTraceLevel), fiber.getRef(Tracer.CurrentTraceLevel))
  const span = tracer.span({
    name,
    parent,
    annotations: NO_ANNOTATIONS,
    links: links.length === 0 ? [] : links.slice(),
    startTime: fiber.getRef(References.TracerTimingEnabled) ? startTime : 0n,
    kind: options.kind,
    root: options.parent === null,
    sampled
  })
  const annotations = fiber.getRef(References.TracerSpanAnnotations)
  for (const key in annotations) span.attribute(key, annotations[key])
  annotate(span, options.attributes)
  return span
}

/**
 * Renames a started span (the route template is known only once the router has matched). Effect's
 * `Span` has no rename operation: its `name` is assigned, and a span wrapping an OpenTelemetry
 * SDK span renames that one too.
 */
export const rename = (span: Tracer.Span, name: string): void => {
  const target = span as { name: string; readonly span?: { readonly updateName?: (name: string) => unknown } }
  try {
    target.name = name
  } catch {
    // A tracer whose spans cannot be renamed keeps the method-only name; `http.route` still says it.
  }
  if (typeof target.span?.updateName === "function") target.span.updateName(name)
}

/** Ends `span` at `endTime` with `exit`, which decides its status. */
export const unsafeEnd = (span: Tracer.Span, exit: Exit.Exit<unknown, unknown>, endTime: bigint): void => {
  if (span.status._tag === "Started") span.end(endTime, exit)
}

/** Sets the attributes whose value is defined. */
export const annotate = (span: Tracer.Span, attributes: Readonly<Record<string, unknown>>): void => {
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) span.attribute(key, value)
  }
}

/**
 * Runs `self` with the fiber's context set to `context` (services added in one step, as Effect's
 * own server tracer does) and hands its exit to `finish` synchronously, after the context is
 * restored: one exit hook instead of `provideService` per service plus `onExit`.
 */
export const runIn = <A, E, R>(
  fiber: Fiber.Fiber<unknown, unknown>,
  self: Effect.Effect<A, E, R>,
  context: Context.Context<never>,
  finish: (exit: Exit.Exit<A, E>) => void
): Effect.Effect<A, E, R> => {
  const previous = fiber.context
  fiber.setContext(context)
  return Effect.onExitPrimitive(self, (exit) => {
    fiber.setContext(previous)
    finish(exit)
    return undefined
  }, true)
}
