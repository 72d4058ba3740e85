/**
 * TLS failures named (issue 13.7): the handshake's own error, with the remedy, in the start-up
 * error (`required: true`) and in the outage warning; no raw Node warning on stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { Effect, Exit } from "effect"
import type { Config } from "../src/index.js"
import { Observability, Required } from "../src/index.js"
import { hasOpenssl, makeCa } from "./certificates.js"
import { runCapturing } from "./support.js"

type Tracing = NonNullable<Config.ObservabilityConfigInput["tracing"]>

const layer = (tracing: Tracing) =>
  Observability.layer({
    service: { name: "tls" },
    config: { tracing: { startupProbeTimeout: "3s", batchTimeout: "20ms", ...tracing }, metrics: { enabled: false } }
  })

/** The start-up error of a `required` traces pipeline. */
const startupError = (tracing: Tracing) =>
  Effect.gen(function*() {
    const started = Date.now()
    const exit = yield* Effect.exit(runCapturing(layer({ required: true, ...tracing }), Effect.void))
    const elapsed = Date.now() - started
    if (Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error instanceof Required.PipelineStartError) {
      return { message: exit.cause.error.message, elapsed }
    }
    return expect.fail(`expected a PipelineStartError, got ${String(exit)}`)
  })

describe.skipIf(!hasOpenssl())("TLS errors are named, with the remedy", () => {
  let ca: ReturnType<typeof makeCa>
  const receivers: Array<OtlpReceiver.Receiver> = []
  const start = async (options: OtlpReceiver.StartOptions = {}) => {
    const receiver = await OtlpReceiver.start(options)
    receivers.push(receiver)
    return receiver
  }
  const warnings: Array<string> = []
  const onWarning = (warning: Error) => warnings.push(`${(warning as { code?: string }).code ?? ""} ${warning.message}`)

  beforeAll(() => {
    ca = makeCa()
    process.on("warning", onWarning)
  })
  afterAll(async () => {
    process.off("warning", onWarning)
    for (const receiver of receivers) await receiver.stop()
  })

  it.live("an IP endpoint with a CA file: delivered, and no DEP0123 (IP as TLS server name) warning", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => start({ tls: ca.leaf(["IP:127.0.0.1"]) }))
      yield* runCapturing(
        layer({ endpoint: `https://${receiver.endpoint}`, certificate: ca.caFile }),
        Effect.gen(function*() {
          yield* Effect.void.pipe(Effect.withSpan("secure"))
          yield* Effect.promise(() => receiver.waitForSpan("secure"))
        })
      )
      expect(warnings.filter((warning) => warning.includes("DEP0123"))).toEqual([])
    }))

  it.live("unknown CA: named, with the certificate setting as the remedy, at once", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => start({ tls: ca.leaf(["IP:127.0.0.1"]) }))
      const { message, elapsed } = yield* startupError({ endpoint: `https://${receiver.endpoint}` })
      expect(message).toContain("signed by a CA this process does not trust: set certificate to the CA's PEM file")
      expect(message).toMatch(/unable to verify the first certificate|unable to get local issuer/)
      expect(elapsed).toBeLessThan(2_000)
    }))

  it.live("expired certificate: named", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => start({ tls: ca.leaf(["IP:127.0.0.1"], { expired: true }) }))
      const { message } = yield* startupError({ endpoint: `https://${receiver.endpoint}`, certificate: ca.caFile })
      expect(message).toContain("the server's TLS certificate has expired")
    }))

  it.live("a certificate for another host name: named", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => start({ tls: ca.leaf(["DNS:collector.example"]) }))
      const { message } = yield* startupError({ endpoint: `https://${receiver.endpoint}`, certificate: ca.caFile })
      expect(message).toContain("not issued for this host name")
    }))

  it.live("TLS configured, plaintext server: named, with http:// or insecure: true as the remedy", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => start())
      const { message } = yield* startupError({ endpoint: `https://${receiver.endpoint}` })
      expect(message).toContain("the server does not speak TLS (plaintext): use an http:// endpoint or insecure: true")
    }))

  it.live("plaintext configured, TLS server: named, with https:// as the remedy", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => start({ tls: ca.leaf(["IP:127.0.0.1"]) }))
      const { message } = yield* startupError({ endpoint: `http://${receiver.endpoint}` })
      expect(message).toContain("it probably expects TLS: use an https:// endpoint")
    }))

  it.live("client certificate required: named, with clientKey/clientCertificate as the remedy; with them, delivered", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => start({ tls: { ...ca.leaf(["IP:127.0.0.1"]), clientCa: ca.ca } }))
      const { message } = yield* startupError({ endpoint: `https://${receiver.endpoint}`, certificate: ca.caFile })
      expect(message).toContain("requires a client certificate (mutual TLS): set clientKey and clientCertificate")
      const client = ca.leaf(["DNS:client"])
      yield* runCapturing(
        layer({ endpoint: `https://${receiver.endpoint}`, certificate: ca.caFile, clientKey: client.keyFile, clientCertificate: client.certFile }),
        Effect.gen(function*() {
          yield* Effect.void.pipe(Effect.withSpan("mutual"))
          yield* Effect.promise(() => receiver.waitForSpan("mutual"))
        })
      )
    }))

  it.live("not required: the outage warning names the TLS problem too", () =>
    Effect.gen(function*() {
      const receiver = yield* Effect.promise(() => start({ tls: ca.leaf(["IP:127.0.0.1"]) }))
      const { lines } = yield* runCapturing(
        layer({ endpoint: `https://${receiver.endpoint}`, startupProbeTimeout: "200ms" }),
        Effect.gen(function*() {
          yield* Effect.void.pipe(Effect.withSpan("lost"))
          yield* Effect.sleep("400 millis")
        })
      )
      const warning = lines.find((line) => line.level === "WARN" && line.message.includes("is failing"))
      expect(warning?.message).toContain("signed by a CA this process does not trust")
    }))
})
