/**
 * Extraction and injection with an OpenTelemetry `TextMapPropagator`, bridged to Effect spans:
 * extraction yields an Effect `ExternalSpan` to parent the server span on, and injection builds
 * an OpenTelemetry context from an Effect span plus the baggage the request brought in. The rules
 * are the engine's (`TraceContext`), shared with the Effect 4 line.
 */
import type * as Grpc from "@grpc/grpc-js"
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import * as TraceContext from "@lingo-obs/otlp/TraceContext"
import {
  type Context as OtelContext,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter
} from "@opentelemetry/api"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Tracer from "effect/Tracer"

/**
 * The OpenTelemetry context a request arrived with (its baggage and remote span context). It is
 * a service of the request's context, so it follows the request into every fiber forked while
 * handling it and client middleware finds the baggage to forward; the server middleware provides
 * it together with the parent span in one context change.
 */
export class IncomingContext extends Context.Reference<IncomingContext>()(
  "@lingo-obs/http-middleware/IncomingContext",
  { defaultValue: (): OtelContext => ROOT_CONTEXT }
) {}

export { headersGetter, headersSetter } from "@lingo-obs/otlp/TraceContext"

/** gRPC metadata as a carrier: the engine's getter and setter, shared with the grpc-js interceptors. */
export const metadataGetter: TextMapGetter<Grpc.Metadata> = RpcSemConv.metadataGetter
export const metadataSetter: TextMapSetter<Grpc.Metadata> = RpcSemConv.metadataSetter

export interface Extracted {
  /** Everything the propagator found: baggage, remote span context. */
  readonly context: OtelContext
  /** The remote span to parent the server span on, when the carrier held a valid one. */
  readonly parent: Tracer.ExternalSpan | undefined
}

/** Extracts with `propagator` (an unreadable carrier yields an empty context, a fresh trace). */
export const extract = <Carrier>(
  propagator: TextMapPropagator,
  carrier: Carrier,
  getter: TextMapGetter<Carrier>
): Extracted => {
  const { context, parent } = TraceContext.extract(propagator, carrier, getter)
  return { context, parent: parent === undefined ? undefined : Tracer.externalSpan(parent) }
}

/**
 * Injects the context of `span` (or, without one, of the fiber's current span) and the current
 * baggage into `carrier`, in the fiber's step. A propagator that throws injects nothing rather
 * than failing the call.
 */
export const unsafeInject = <Carrier>(
  fiber: Fiber.RuntimeFiber<any, any>,
  propagator: TextMapPropagator,
  carrier: Carrier,
  setter: TextMapSetter<Carrier>,
  span?: Tracer.AnySpan | undefined
): void => {
  const context = fiber.currentContext
  const current = span ?? Context.getOption(context, Tracer.ParentSpan).pipe((parent) =>
    parent._tag === "Some" ? parent.value : undefined
  )
  TraceContext.inject(propagator, current, Context.get(context, IncomingContext), carrier, setter)
}

/** `unsafeInject` as an Effect. */
export const inject = <Carrier>(
  propagator: TextMapPropagator,
  carrier: Carrier,
  setter: TextMapSetter<Carrier>,
  span?: Tracer.AnySpan | undefined
): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) => {
    unsafeInject(fiber, propagator, carrier, setter, span)
    return Effect.void
  })
