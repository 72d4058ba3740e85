/**
 * Span plumbing for the middleware's request path, done synchronously inside the one fiber step
 * that starts a request (`Effect.withFiberRuntime`) instead of as a chain of Effect operations:
 * starting a span at a given time through the tracer (as `Effect.makeSpan` does, honouring the
 * tracer switch, span annotations and links of the environment), renaming it once the route is
 * known, and ending it with an exit chosen by the protocol (a 404 is a failed Effect but not an
 * errored span; a 500 response may come from a successful Effect). Only Effect's tracing API is
 * used, so whichever tracer is installed receives the spans.
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

/** Nanoseconds since the epoch on the fiber's clock (`Clock.currentTimeNanos` without an Effect). */
export const nowNanos = (fiber: Fiber.RuntimeFiber<any, any>): bigint =>
  Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeNanos()

export interface StartOptions {
  readonly kind: Tracer.SpanKind
  /** The parent; `undefined` means the current span of the fiber, `null` a root span. */
  readonly parent: Tracer.AnySpan | null | undefined
  readonly attributes: Readonly<Record<string, unknown>>
  /** Replaces the fiber's tracer. */
  readonly tracer?: Tracer.Tracer | undefined
}

const spanOptions: Record<"server" | "client", Tracer.SpanOptions> = {
  server: { kind: "server", captureStackTrace: false },
  client: { kind: "client", captureStackTrace: false }
}

const currentParent = (fiber: Fiber.RuntimeFiber<any, any>): Option.Option<Tracer.AnySpan> => {
  const parent = Context.getOption(fiber.currentContext, Tracer.ParentSpan)
  return parent._tag === "Some" && parent.value._tag === "Span" &&
      Context.get(parent.value.context, Tracer.DisablePropagation)
    ? Option.none()
    : parent
}

/**
 * Starts a span at `startTime` in `fiber`, as `Effect.makeSpan` would; `undefined` when the
 * fiber's tracer is switched off (`Effect.withTracerEnabled(false)`): the request is then served
 * without a span of its own.
 */
export const unsafeStart = (
  fiber: Fiber.RuntimeFiber<any, any>,
  name: string,
  options: StartOptions,
  startTime: bigint
): Tracer.Span | undefined => {
  if (!fiber.getFiberRef(FiberRef.currentTracerEnabled)) return undefined
  const tracer = options.tracer ?? fiber.currentTracer
  const parent = options.parent === null
    ? Option.none()
    : options.parent === undefined
    ? currentParent(fiber)
    : Option.some(options.parent)
  const links = fiber.getFiberRef(FiberRef.currentTracerSpanLinks)
  const kindOptions: Tracer.SpanOptions = options.kind === "server" || options.kind === "client"
    ? spanOptions[options.kind]
    : { kind: options.kind }
  const span = tracer.span(
    name,
    parent,
    Context.empty(),
    Chunk.isEmpty(links) ? [] : Chunk.toReadonlyArray(links),
    fiber.getFiberRef(FiberRef.currentTracerTimingEnabled) ? startTime : 0n,
    options.kind,
    options.parent === null ? { ...kindOptions, root: true } : kindOptions
  )
  const annotations = fiber.getFiberRef(FiberRef.currentTracerSpanAnnotations)
  if (HashMap.size(annotations) > 0) HashMap.forEach(annotations, (value, key) => span.attribute(key, value))
  annotate(span, options.attributes)
  return span
}

/**
 * Renames a started span (the route template is known only once the router has matched). Effect's
 * `Span` has no rename operation: its `name` is assigned, and a span wrapping an OpenTelemetry
 * SDK span (`@effect/opentelemetry`) renames that one too.
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

/** Ends `span` at `endTime` with `exit`, which decides its status (failure: error, anything else: ok). */
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
 * `self` run with `services` added to the fiber's current context: one context change for
 * several services (`Effect.provideService` once per service would change it once each).
 */
export const provideAll = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  context: Context.Context<never>,
  services: ReadonlyArray<readonly [string, unknown]>
): Effect.Effect<A, E, never> => {
  const map = new Map(context.unsafeMap)
  for (const [key, value] of services) map.set(key, value)
  const provided = Context.unsafeMake<R>(map)
  return Effect.mapInputContext(self, () => provided)
}

/**
 * Runs `effect` and hands its exit to `finish` synchronously, before the result goes on: one
 * match instead of `Effect.onExit`'s extra finalizer step on the request path.
 */
export const finishing = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  finish: (exit: Exit.Exit<A, E>) => void
): Effect.Effect<A, E, R> =>
  Effect.matchCauseEffect(effect, {
    onFailure: (cause) => {
      finish(Exit.failCause(cause))
      return Effect.failCause(cause)
    },
    onSuccess: (value) => {
      finish(Exit.succeed(value))
      return Effect.succeed(value)
    }
  })
