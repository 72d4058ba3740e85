import { describe, expect, it } from "@effect/vitest"
import { GrpcStatus } from "@lingo-obs/http-middleware"
import { Effect } from "effect"
import { dataPoints, receiver, withService } from "./support.js"

describe("users-grpc over OTLP", () => {
  it.scopedLive("traces and measures GetUser; the health check yields no span and no metric by default", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      yield* withService(otlp, {}, ({ health, users }) =>
        Effect.gen(function*() {
          expect(yield* health.check({})).toEqual({ status: "SERVING" })
          expect(yield* users.getUser({ id: "3" })).toMatchObject({ name: "Grace Hopper" })
          const missing = yield* Effect.flip(users.getUser({ id: "" }))
          expect(missing.code).toBe(GrpcStatus.Code.INVALID_ARGUMENT)
        }))

      // Client and server span for each GetUser, and its business span; nothing for the health check.
      const spans = yield* Effect.promise(() => otlp.waitForSpans(6))
      expect(spans.map((span) => `${span.kind}:${span.name}`).sort()).toEqual([
        "1:users.find",
        "1:users.find",
        "2:lingo.users.v1.UserService/GetUser",
        "2:lingo.users.v1.UserService/GetUser",
        "3:lingo.users.v1.UserService/GetUser",
        "3:lingo.users.v1.UserService/GetUser"
      ])

      yield* Effect.promise(() => otlp.waitForMetric("rpc.server.call.duration"))
      const methods = [...dataPoints(otlp, "rpc.server.call.duration"), ...dataPoints(otlp, "rpc.client.call.duration")]
        .map((point) => String(point.attributes["rpc.method"]))
      expect(methods).toContain("lingo.users.v1.UserService/GetUser")
      expect(methods.filter((method) => method.startsWith("grpc.health.v1.Health/"))).toEqual([])
      const codes = dataPoints(otlp, "rpc.server.call.duration").map((point) => point.attributes["rpc.status_code"])
      expect(codes).toEqual(expect.arrayContaining(["OK", "INVALID_ARGUMENT"]))
    }))
})
