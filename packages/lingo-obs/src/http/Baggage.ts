/**
 * The W3C baggage of the request being handled. The server middleware keeps the baggage it
 * extracted for the whole handling of the request, including fibers it forks, and the client
 * middleware forwards it on every outgoing call, so baggage passes through a service without
 * code. Business code reads it here, and can add entries for the calls it makes.
 *
 * Effect has no baggage of its own; this module is the place it lives.
 *
 * @example
 * ```ts
 * import { Baggage } from "lingo-obs/http"
 *
 * const tenant = yield* Baggage.getEntry("tenant")            // Option<string>
 * yield* callInventory.pipe(Baggage.withEntries({ "feature.flag": "new-checkout" }))
 * ```
 */
import { type Baggage as OtelBaggage, propagation } from "@opentelemetry/api"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Option from "effect/Option"
import { IncomingContext } from "../internal/propagation.js"

/** The baggage of the current request, if it carried any. */
export const current: Effect.Effect<Option.Option<OtelBaggage>> = Effect.map(
  Effect.service(IncomingContext),
  (context) => Option.fromNullishOr(propagation.getBaggage(context))
)

/** The entries of the current baggage as a plain record. */
export const entries: Effect.Effect<Readonly<Record<string, string>>> = Effect.map(current, (baggage) =>
  Option.match(baggage, {
    onNone: () => ({}),
    onSome: (baggage) => Object.fromEntries(baggage.getAllEntries().map(([key, entry]) => [key, entry.value]))
  }))

/** One entry of the current baggage. */
export const getEntry = (key: string): Effect.Effect<Option.Option<string>> =>
  Effect.map(current, Option.flatMap((baggage) => Option.fromNullishOr(baggage.getEntry(key)?.value)))

/** Runs `self` with `baggage` as the current baggage (replacing it). */
export const withBaggage: {
  (baggage: OtelBaggage): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, baggage: OtelBaggage): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, baggage: OtelBaggage): Effect.Effect<A, E, R> =>
    Effect.flatMap(
      Effect.service(IncomingContext),
      (context) => Effect.provideService(self, IncomingContext, propagation.setBaggage(context, baggage))
    )
)

/** Runs `self` with `added` merged into the current baggage; outgoing calls in `self` carry them. */
export const withEntries: {
  (added: Readonly<Record<string, string>>): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, added: Readonly<Record<string, string>>): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, added: Readonly<Record<string, string>>): Effect.Effect<A, E, R> =>
    Effect.flatMap(current, (baggage) => {
      let next = Option.getOrElse(baggage, () => propagation.createBaggage())
      for (const [key, value] of Object.entries(added)) next = next.setEntry(key, { value })
      return withBaggage(self, next)
    })
)
