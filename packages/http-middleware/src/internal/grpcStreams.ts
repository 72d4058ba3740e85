/**
 * grpc-js message streams as Effect values, with backpressure both ways: reading pauses the
 * transport until the consumer has taken each message; writing waits for `drain` when the
 * transport's buffer is full. Shared by the server and the client wrappers.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** What grpc-js calls offer for writing: a Node writable in object mode. */
export interface MessageWriter {
  write(message: unknown): boolean
  once(event: "drain", listener: () => void): unknown
  off(event: "drain", listener: () => void): unknown
}

/** What grpc-js calls offer for reading: a Node readable in object mode. */
export interface MessageReader {
  on(event: string, listener: (...args: Array<any>) => void): unknown
  off(event: string, listener: (...args: Array<any>) => void): unknown
  pause(): unknown
  resume(): unknown
}

/** Writes one message, waiting for the transport to drain when its buffer is full. */
export const write = (call: MessageWriter, message: unknown): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (call.write(message)) return resume(Effect.void)
    const onDrain = () => resume(Effect.void)
    call.once("drain", onDrain)
    return Effect.sync(() => call.off("drain", onDrain))
  })

export interface ReadOptions<A, E> {
  /** Turns a chunk of the transport into a message; a throw fails the stream with `decodeError`. */
  readonly decode: (chunk: any) => A
  readonly decodeError: (error: unknown) => E
  /** The failure an `error` event means; `undefined` to end the stream quietly instead. */
  readonly error: (error: any) => E | undefined
  /**
   * Called on the transport's `end`; the stream ends (or fails) when it calls `finish`. Default:
   * at once.
   */
  readonly end?: ((finish: (failure?: E) => void) => void) | undefined
}

/** The messages of `call` as a Stream that ends with the call's `end` (read it once). */
export const read = <A, E>(call: MessageReader, options: ReadOptions<A, E>): Stream.Stream<A, E> =>
  Stream.async<A, E>((emit) => {
    let open = true
    const onData = (chunk: unknown) => {
      let message: A
      try {
        message = options.decode(chunk)
      } catch (error) {
        void emit.fail(options.decodeError(error))
        return
      }
      // Pause the transport until the consumer has taken the message: backpressure end to end.
      call.pause()
      void emit.single(message).then(() => call.resume())
    }
    // Stays attached after the consumer stops: an `error` event without a listener would throw.
    const onError = (error: unknown) => {
      if (!open) return
      const failure = options.error(error)
      void (failure === undefined ? emit.end() : emit.fail(failure))
    }
    const finish = (failure?: E) => void (failure === undefined ? emit.end() : emit.fail(failure))
    const onEnd = () => (options.end === undefined ? finish() : options.end(finish))
    call.on("data", onData)
    call.on("error", onError)
    call.on("end", onEnd)
    return Effect.sync(() => {
      open = false
      call.off("data", onData)
      call.off("end", onEnd)
    })
  })
