/**
 * Real Effect 4 Node HTTP servers on ephemeral ports for the middleware tests, plain `fetch`
 * requests to them, and waiting on what the test layer recorded (spans end after the response
 * is written, so a test polls until they are there, bounded).
 */
import { NodeHttpServer } from "@effect/platform-node"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpServer from "effect/http/HttpServer"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { createServer } from "node:http"
import { ObservabilityTest } from "../../src/index.js"

/** What the Node server layer provides (the server, its platform, file system, path, etags). */
type NodeProvided = Layer.Success<ReturnType<typeof NodeHttpServer.layer>>

/** Builds `server` on a Node server listening on 127.0.0.1 (ephemeral port); its base URL. */
export const listen = <E, R>(
  server: Layer.Layer<never, E, R>
): Effect.Effect<string, E, Scope.Scope | Exclude<R, NodeProvided>> =>
  Effect.gen(function*() {
    const node = NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })
    const context = yield* Layer.build(Layer.provideMerge(server as Layer.Layer<never, E, any>, node))
    const address = Context.get(context, HttpServer.HttpServer).address
    if (address._tag === "UnixPathAddress") throw new Error("expected a TCP address")
    return `http://127.0.0.1:${address.port}`
  }) as any

export interface Answer {
  readonly status: number
  readonly body: string
}

/** GET (or `method`) `url` with `headers`; the status and body. */
export const send = (url: string, headers: Record<string, string> = {}, method = "GET"): Effect.Effect<Answer> =>
  Effect.promise(async () => {
    const response = await fetch(url, { method, headers })
    return { status: response.status, body: await response.text() }
  })

/** Polls the recorded spans until `predicate` holds (at most 10 s); fails naming `what`. */
export const waitForSpans = (
  predicate: (spans: ReadonlyArray<ObservabilityTest.FinishedSpan>) => boolean,
  what: string
): Effect.Effect<ReadonlyArray<ObservabilityTest.FinishedSpan>, Error, ObservabilityTest.TestSpans> =>
  Effect.gen(function*() {
    const deadline = Date.now() + 10_000
    while (true) {
      const spans = yield* ObservabilityTest.spans
      if (predicate(spans)) return spans
      if (Date.now() > deadline) {
        return yield* Effect.fail(new Error(`timed out waiting for ${what}; spans: ${spans.map((span) => span.name).join(", ")}`))
      }
      yield* Effect.sleep("10 millis")
    }
  })

/** The points of metric `name` (empty when it was not recorded). */
export const metricPoints = (name: string) =>
  Effect.map(ObservabilityTest.metrics, (metrics) => metrics.find((metric) => metric.name === name)?.points ?? [])

export const serverSpans = (spans: ReadonlyArray<ObservabilityTest.FinishedSpan>) =>
  spans.filter((span) => span.kind === "server")
