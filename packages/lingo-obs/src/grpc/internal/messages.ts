/**
 * The messages of one call: an `rpc.message` event per message on the call's span, messages read
 * from a grpc-js stream as an Effect `Stream` with backpressure, and writes that wait for the
 * transport to drain.
 */
import * as RpcSemConv from "@lingo-obs/otlp/RpcSemConv"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"

/**
 * The `rpc.message` events of one call on its span (type, id counted per direction from 1, size
 * in bytes), as the engine numbers and names them; nothing for a call without a span or of a
 * kind the conventions give no message events.
 */
export const messageEvents = (
  span: Tracer.Span | undefined,
  clock: Clock.Clock,
  kind: RpcSemConv.CallKind
): RpcSemConv.MessageEvents =>
  span === undefined || !RpcSemConv.hasMessageEvents(kind)
    ? NO_EVENTS
    : RpcSemConv.messageEvents((attributes) => span.event(RpcSemConv.MESSAGE_EVENT, clock.currentTimeNanosUnsafe(), attributes))

const NO_EVENTS: RpcSemConv.MessageEvents = { sent: () => {}, received: () => {} }

/** The part of a Node readable stream that `readStream` uses (grpc-js call streams are ones). */
export interface Readable {
  on(event: "data", listener: (message: any) => void): unknown
  on(event: "end", listener: () => void): unknown
  on(event: "error", listener: (error: any) => void): unknown
  pause(): unknown
  resume(): unknown
}

/** Messages held before the transport is paused; it resumes once the consumer has taken half. */
const HIGH_WATER = 16

/**
 * The messages of `readable` as a Stream: each is `decode`d when the consumer takes it; an
 * `error` event fails the stream with `toError(error)`, or ends it when that gives `undefined`
 * (a cancellation the caller reports itself). The transport is paused while `HIGH_WATER` messages
 * wait, so a slow consumer holds the sender back instead of buffering without bound.
 */
export const readStream = <A, E>(
  readable: Readable,
  decode: (message: any) => A,
  toError: (error: unknown) => E | undefined
): Stream.Stream<A, E> =>
  Stream.suspend(() => {
    const buffer: Array<unknown> = []
    let paused = false
    let ended = false
    let failure: { readonly error: E } | undefined
    let waiting: ((effect: Effect.Effect<A, E | Cause.Done>) => void) | undefined

    const next = (): Effect.Effect<A, E | Cause.Done> | undefined => {
      if (buffer.length > 0) {
        const message = buffer.shift()
        if (paused && buffer.length <= HIGH_WATER / 2) {
          paused = false
          readable.resume()
        }
        return Effect.sync(() => decode(message))
      }
      if (failure !== undefined) return Effect.fail(failure.error)
      if (ended) return Cause.done()
      return undefined
    }
    const wake = () => {
      if (waiting === undefined) return
      const effect = next()
      if (effect === undefined) return
      const resume = waiting
      waiting = undefined
      resume(effect)
    }
    readable.on("data", (message) => {
      buffer.push(message)
      if (!paused && buffer.length >= HIGH_WATER) {
        paused = true
        readable.pause()
      }
      wake()
    })
    readable.on("end", () => {
      ended = true
      wake()
    })
    readable.on("error", (error) => {
      const mapped = toError(error)
      if (mapped === undefined) ended = true
      else failure ??= { error: mapped }
      wake()
    })
    const take = Effect.callback<A, E | Cause.Done>((resume) => {
      const effect = next()
      if (effect !== undefined) return resume(effect)
      waiting = resume
      return Effect.sync(() => {
        waiting = undefined
      })
    })
    return Stream.fromEffectRepeat(take)
  })

/** The part of a Node writable stream that `write` uses. */
export interface Writable {
  write(message: unknown): boolean
  once(event: "drain", listener: () => void): unknown
  off(event: "drain", listener: () => void): unknown
}

/** Writes one message, waiting for the transport to drain when its buffer is full. */
export const write = (stream: Writable, message: unknown): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (stream.write(message)) return resume(Effect.void)
    const onDrain = () => resume(Effect.void)
    stream.once("drain", onDrain)
    return Effect.sync(() => {
      stream.off("drain", onDrain)
    })
  })
