// In a file of its own: Effect's metric registry is global to the process, so metrics recorded
// by another test would still be exported here.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { receiver, withService } from "./support.js"

describe("users-grpc with metrics.grpcEnabled: false", () => {
  it.scopedLive("exports the spans and no gRPC metric", () =>
    Effect.gen(function*() {
      const otlp = yield* receiver
      yield* withService(otlp, { grpcEnabled: false }, ({ users }) => users.getUser({ id: "1" }))

      const server = yield* Effect.promise(() => otlp.waitForSpan("lingo.users.v1.UserService/GetUser"))
      expect(server.attributes["rpc.grpc.status_code"]).toBe(0)
      // The final export on shutdown carries every metric the program had; none is an RPC one.
      yield* Effect.promise(() => otlp.waitFor(() => otlp.metrics().length > 0))
      expect(otlp.metrics().map((metric) => metric.name).filter((name) => name.startsWith("rpc."))).toEqual([])
    }))
})
