/**
 * The TLS files of a signal's config (CA, client key and certificate for mutual TLS), read when
 * its pipeline starts, for either transport: a missing or unreadable file, or half a client pair,
 * is a `PipelineStartError` that `required` decides about.
 *
 * @example
 * ```ts
 * const { ca, key, cert } = yield* TlsMaterial.read("traces", target.display, config.tracing)
 * ```
 */
import * as Fs from "node:fs"
import * as Effect from "effect/Effect"
import type * as Config from "../config/Config.js"
import { PipelineStartError } from "../Required.js"
import type { TlsMaterial } from "@lingo-obs/otlp/TlsMaterial"
import type { Signal } from "@lingo-obs/otlp/Transport"

export type { TlsMaterial } from "@lingo-obs/otlp/TlsMaterial"

export type TlsConfig = Pick<Config.ExporterConfig, "certificate" | "clientKey" | "clientCertificate">

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const readPem = (signal: Signal, endpoint: string, field: string, path: string | undefined) =>
  path === undefined ? Effect.succeed(undefined) : Effect.try({
    try: () => Fs.readFileSync(path),
    catch: (cause) =>
      new PipelineStartError({
        signal,
        endpoint,
        reason: `cannot read ${field} ${JSON.stringify(path)}: ${describe(cause)}`,
        cause
      })
  })

/** Reads the configured PEM files; `endpoint` names the target in the error. */
export const read = (signal: Signal, endpoint: string, config: TlsConfig): Effect.Effect<TlsMaterial, PipelineStartError> =>
  Effect.gen(function*() {
    const ca = yield* readPem(signal, endpoint, "certificate", config.certificate)
    const key = yield* readPem(signal, endpoint, "clientKey", config.clientKey)
    const cert = yield* readPem(signal, endpoint, "clientCertificate", config.clientCertificate)
    if ((key === undefined) !== (cert === undefined)) {
      return yield* new PipelineStartError({
        signal,
        endpoint,
        reason: "mutual TLS needs both clientKey and clientCertificate"
      })
    }
    return { ca, key, cert }
  })
