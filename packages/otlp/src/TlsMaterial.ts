/**
 * The TLS files of a signal's config (CA, client key and certificate for mutual TLS), read when
 * its pipeline starts, for either transport: a missing or unreadable file, or half a client pair,
 * is a `StartError`.
 *
 * @example
 * ```ts
 * const { ca, key, cert } = TlsMaterial.read("traces", target.display, config)
 * ```
 */
import * as Fs from "node:fs"
import type { TlsConfig } from "./ExportConfig.js"
import { StartError } from "./StartError.js"
import type { Signal } from "./Transport.js"

export type { TlsConfig } from "./ExportConfig.js"

/** The TLS files of a signal's config, read: what either transport hands to Node's TLS. */
export interface TlsMaterial {
  readonly ca?: Buffer | undefined
  readonly key?: Buffer | undefined
  readonly cert?: Buffer | undefined
}

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const readPem = (signal: Signal, endpoint: string, field: string, path: string | undefined): Buffer | undefined => {
  if (path === undefined) return undefined
  try {
    return Fs.readFileSync(path)
  } catch (cause) {
    throw new StartError({ signal, endpoint, reason: `cannot read ${field} ${JSON.stringify(path)}: ${describe(cause)}`, cause })
  }
}

/** Reads the configured PEM files; `endpoint` names the target in the `StartError` it throws. */
export const read = (signal: Signal, endpoint: string, config: TlsConfig): TlsMaterial => {
  const ca = readPem(signal, endpoint, "certificate", config.certificate)
  const key = readPem(signal, endpoint, "clientKey", config.clientKey)
  const cert = readPem(signal, endpoint, "clientCertificate", config.clientCertificate)
  if ((key === undefined) !== (cert === undefined)) {
    throw new StartError({ signal, endpoint, reason: "mutual TLS needs both clientKey and clientCertificate" })
  }
  return { ca, key, cert }
}
