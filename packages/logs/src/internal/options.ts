/**
 * What the logs signal needs, apart from `Logs.ts`, so that the lazily loaded export
 * (`logsExport.ts`) and the public module both import it without importing each other.
 */
import type { Config } from "@lingo-obs/core"
import type { Resource } from "@opentelemetry/resources"
import type { LogRecordProcessor } from "@opentelemetry/sdk-logs"
import type * as Duration from "effect/Duration"

/** The instrumentation scope of the exported records. */
export const SCOPE = "@lingo-obs/logs"

/** What the logs signal needs besides its config section. */
export interface Options {
  readonly config: Config.LogsConfig
  /** The resource every record carries (see `ServiceResource.make`). */
  readonly resource: Resource
  /** How long scope close may spend flushing; default 5 s. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /** Replaces the export pipeline the config describes (tests keep records in memory). */
  readonly processor?: LogRecordProcessor | undefined
}
