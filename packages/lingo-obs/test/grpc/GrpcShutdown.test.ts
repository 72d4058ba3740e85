/**
 * Closing a `GrpcServer.make` scope (the end of the program, SIGTERM through runMain): calls in
 * flight may finish within `shutdownTimeout`; past it they are cancelled and their handlers
 * interrupted, so shutdown is bounded.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import { Observability } from "../../src/index.js"
import { GrpcClient, GrpcServer, GrpcStatus } from "../../src/grpc/index.js"
import { type EchoClient, EchoDefinition } from "./echo.js"

/** An echo server whose Get waits for `gate` (and says when it started), in a scope of its own. */
const gatedServer = (shutdownTimeout: Duration.Input) =>
  Effect.gen(function*() {
    const started = yield* Deferred.make<void>()
    const gate = yield* Deferred.make<void>()
    const interrupted = yield* Deferred.make<void>()
    const service = GrpcServer.service(EchoDefinition, {
      get: GrpcServer.unary((request: { id: string }) =>
        Deferred.succeed(started, undefined).pipe(
          Effect.andThen(Deferred.await(gate)),
          Effect.as({ id: request.id }),
          Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
        )
      )
    })
    const scope = yield* Scope.make()
    const server = yield* GrpcServer.make([service], { shutdownTimeout }).pipe(Scope.provide(scope))
    const client = yield* GrpcClient.dial<EchoClient>(EchoDefinition, server.address)
    return { scope, client, started, gate, interrupted }
  })

describe("GrpcServer shutdown (Effect 4)", () => {
  it.live("a call in flight when the scope closes finishes and is answered", () =>
    Effect.gen(function*() {
      const { client, gate, scope, started } = yield* gatedServer("10 seconds")
      const call = yield* Effect.forkChild(client.get({ id: "in-flight" }))
      yield* Deferred.await(started)
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.join(call)).toEqual({ id: "in-flight" })
      yield* Fiber.join(closing)
    }).pipe(Effect.provide(Observability.layerTest())))

  it.live("past shutdownTimeout a call still running is cancelled and its handler interrupted", () =>
    Effect.gen(function*() {
      const { client, interrupted, scope, started } = yield* gatedServer("200 millis")
      const call = yield* Effect.forkChild(Effect.flip(client.get({ id: "stuck" })))
      yield* Deferred.await(started)
      const startedAt = Date.now()
      yield* Scope.close(scope, Exit.void)
      // Bounded by the timeout; the machine is shared, so the bound is generous.
      expect(Date.now() - startedAt).toBeLessThan(5_000)
      yield* Deferred.await(interrupted)
      const error = yield* Fiber.join(call)
      expect([GrpcStatus.Code.CANCELLED, GrpcStatus.Code.UNAVAILABLE]).toContain(error.code)
    }).pipe(Effect.provide(Observability.layerTest())))
})
