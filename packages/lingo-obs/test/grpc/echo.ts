/**
 * A hand-built echo service with JSON messages (what a proto-loader definition looks like to
 * grpc-js) with one method of each call kind, its handlers and typed clients, for the gRPC tests.
 */
import type * as Grpc from "@grpc/grpc-js"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { GrpcClient, GrpcServer, GrpcStatus } from "../../src/grpc/index.js"

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as unknown
}
const method = (
  service: string,
  name: string,
  requestStream: boolean,
  responseStream: boolean
): Grpc.MethodDefinition<unknown, unknown> => ({
  path: `/${service}/${name}`,
  requestStream,
  responseStream,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
  originalName: name.charAt(0).toLowerCase() + name.slice(1)
})
const ECHO = "test.echo.v1.Echo"
export const EchoDefinition: Grpc.ServiceDefinition = {
  Get: method(ECHO, "Get", false, false),
  Fail: method(ECHO, "Fail", false, false),
  Slow: method(ECHO, "Slow", false, false),
  List: method(ECHO, "List", false, true),
  Sum: method(ECHO, "Sum", true, false),
  Chat: method(ECHO, "Chat", true, true)
}
export const HealthDefinition: Grpc.ServiceDefinition = { Check: method("grpc.health.v1.Health", "Check", false, false) }

export interface EchoClient {
  readonly get: GrpcClient.Unary<{ readonly id: string }, { readonly id: string }>
  readonly fail: GrpcClient.Unary<{ readonly how: "not_found" | "typed" | "defect" }, never>
  readonly slow: GrpcClient.Unary<{}, never>
  readonly list: GrpcClient.ServerStreaming<{ readonly count: number; readonly failAt?: number }, { readonly n: number }>
  readonly sum: GrpcClient.ClientStreaming<{ readonly n: number }, { readonly sum: number; readonly count: number }>
  readonly chat: GrpcClient.BidiStreaming<{ readonly text: string }, { readonly text: string }>
}
export interface HealthClient {
  readonly check: GrpcClient.Unary<{}, { readonly status: string }>
}

export class Ledger extends Data.TaggedError("Ledger")<{ readonly secret: string }> {}

/** Starts the echo and health services on a free port on 127.0.0.1, and clients for them. */
export const startEcho = (options: GrpcServer.Options = {}) =>
  Effect.gen(function*() {
    const slowStarted = yield* Deferred.make<void>()
    const slowInterrupted = yield* Deferred.make<void>()
    const sumHolding = yield* Deferred.make<void>()
    const sumInterrupted = yield* Deferred.make<void>()
    const chatInterrupted = yield* Deferred.make<void>()
    const echo = GrpcServer.service(EchoDefinition, {
      get: GrpcServer.unary((request: { id: string }) =>
        Effect.succeed({ id: request.id }).pipe(Effect.withSpan("lookup"))
      ),
      Fail: GrpcServer.unary((request: { how: string }): Effect.Effect<never, GrpcStatus.GrpcStatusError | Ledger> =>
        request.how === "not_found"
          ? Effect.fail(GrpcStatus.notFound("no such echo"))
          : request.how === "typed"
          ? Effect.fail(new Ledger({ secret: "db password is hunter2" }))
          : Effect.die(new Error("db password is hunter2"))
      ),
      slow: GrpcServer.unary(() =>
        Deferred.succeed(slowStarted, undefined).pipe(
          Effect.andThen(Effect.never),
          Effect.onInterrupt(() => Deferred.succeed(slowInterrupted, undefined))
        )
      ),
      list: GrpcServer.serverStreaming((request: { count: number; failAt?: number }) =>
        Stream.range(1, request.count).pipe(
          Stream.mapEffect((n) =>
            n === request.failAt ? Effect.fail(GrpcStatus.resourceExhausted(`stopped at ${n}`)) : Effect.succeed({ n })
          )
        )
      ),
      sum: GrpcServer.clientStreaming((requests: GrpcServer.Requests<{ n: number }>) =>
        // A negative number holds the call open until it is cancelled.
        Stream.runFold(
          Stream.tap(requests, ({ n }) => n < 0 ? Effect.andThen(Deferred.succeed(sumHolding, undefined), Effect.never) : Effect.void),
          () => ({ sum: 0, count: 0 }),
          (acc, { n }) => ({ sum: acc.sum + n, count: acc.count + 1 })
        ).pipe(Effect.onInterrupt(() => Deferred.succeed(sumInterrupted, undefined)))
      ),
      // Upper-cases each text; "hold" answers HOLDING and then keeps the call open until cancelled.
      chat: GrpcServer.bidiStreaming((requests: GrpcServer.Requests<{ text: string }>) =>
        Stream.flatMap(requests, ({ text }) =>
          text === "hold"
            ? Stream.concat(
              Stream.make({ text: "HOLDING" }),
              Stream.fromEffect(Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(chatInterrupted, undefined))))
            )
            : Stream.make({ text: text.toUpperCase() }))
      )
    })
    const health = GrpcServer.service(HealthDefinition, {
      Check: GrpcServer.unary(() => Effect.succeed({ status: "SERVING" }))
    })
    const server = yield* GrpcServer.make([echo, health], options)
    const client = yield* GrpcClient.dial<EchoClient>(EchoDefinition, server.address)
    const healthClient = yield* GrpcClient.dial<HealthClient>(HealthDefinition, server.address)
    return { server, client, healthClient, slowStarted, slowInterrupted, sumHolding, sumInterrupted, chatInterrupted }
  })
