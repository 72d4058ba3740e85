/**
 * `lingo-obs dev`: the OTLP receiver on the spec's default ports feeding a bounded store, and the
 * viewer's server beside it, all on 127.0.0.1.
 *
 * @example
 * ```ts
 * import { Dev } from "@lingo-obs/dev"
 *
 * const dev = await Dev.start({ port: 0, grpcPort: 0 })
 * console.log(dev.url)
 * await dev.stop()
 * ```
 */
import { LocalOrigin, OtlpReceiver } from "@lingo-obs/otlp-receiver"
import { parseArgs } from "node:util"
import * as Convert from "./internal/convert.js"
import * as Journal from "./Journal.js"
import * as Server from "./Server.js"
import * as Store from "./Store.js"

export interface Options {
  /** The viewer's port (default 4319; 0 picks a free one). */
  readonly port: number
  /** OTLP/gRPC (default 4317). */
  readonly grpcPort: number
  /** OTLP/HTTP (default 4318). */
  readonly httpPort: number
  readonly capacity: Store.Capacity
  /** Keep what arrives in this JSON-lines file and reload it on start. */
  readonly file?: string | undefined
  /** The built viewer, when not beside the module. */
  readonly assetsDir?: string | undefined
  /** The largest OTLP request body, as sent and once inflated (default 4 MiB). */
  readonly maxBodyBytes: number
  /** Host names the viewer and OTLP/HTTP answer besides localhost, 127.0.0.1 and [::1]. */
  readonly allowedHosts: ReadonlyArray<string>
}

export const defaults: Options = {
  port: 4319,
  grpcPort: 4317,
  httpPort: 4318,
  capacity: Store.defaultCapacity,
  maxBodyBytes: OtlpReceiver.DEFAULT_MAX_BODY_BYTES,
  allowedHosts: []
}

/** What `start` takes: any option left out has its default, capacity bound by bound. */
export type StartOptions = Partial<Omit<Options, "capacity">> & { readonly capacity?: Partial<Store.Capacity> }

export interface Dev {
  readonly url: string
  readonly store: Store.Store
  readonly receiver: OtlpReceiver.Receiver
  readonly journal: Journal.Journal | undefined
  /** Closes the ports and writes what the file has pending; idempotent. */
  stop(): Promise<void>
}

/** Bad command-line input: names the flag and what was expected. */
export class DevOptionsError extends Error {
  readonly _tag = "DevOptionsError"
}

/** A port or socket that would not open: names it and what to do. */
export class DevStartError extends Error {
  readonly _tag = "DevStartError"
}

export const usage = `Usage: lingo-obs dev [options]

Receives OTLP on 127.0.0.1 (gRPC :4317, HTTP :4318, the spec's defaults, so services with no
endpoint configured send here) and serves a viewer for traces, logs and metrics.

Options:
  --port N               the viewer's port (default 4319)
  --grpc-port N          OTLP/gRPC port (default 4317)
  --http-port N          OTLP/HTTP port (default 4318)
  --max-spans N          spans kept, oldest evicted first (default 10000)
  --max-logs N           log records kept (default 10000)
  --max-metric-points N  metric points kept (default 50000)
  --max-bytes SIZE       memory for all of them, by estimated size (default 256MiB); beyond it the
                         oldest traces, log records and metric points are evicted first
  --max-body-bytes SIZE  largest OTLP request body, as sent and once gunzipped (default 4MiB);
                         larger ones get HTTP 413 / gRPC RESOURCE_EXHAUSTED
  --allowed-host NAME    also answer requests for this host name (repeatable); by default the
                         viewer and OTLP/HTTP answer only localhost, 127.0.0.1 and [::1], so web
                         pages cannot reach them through DNS rebinding
  --file PATH            keep what arrives in PATH (a lingo-obs journal, JSON lines) and reload it
                         on the next start; an existing file that is not a journal is refused
  -h, --help             this text

SIZE is a number of bytes, or a number with KiB, MiB or GiB.
`

const integerFlag = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DevOptionsError(`--${name}: expected an integer from ${min} to ${max}, got "${raw}"`)
  }
  return value
}

const SIZE_UNITS: Record<string, number> = { "": 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }

const sizeFlag = (name: string, raw: string | undefined, fallback: number, min: number): number => {
  if (raw === undefined) return fallback
  const match = /^(\d+)\s*(kib|mib|gib)?$/i.exec(raw.trim())
  const value = match === null ? Number.NaN : Number(match[1]) * SIZE_UNITS[(match[2] ?? "").toLowerCase()]!
  if (!Number.isSafeInteger(value) || value < min) {
    throw new DevOptionsError(`--${name}: expected a size of at least ${min} bytes (e.g. 256MiB), got "${raw}"`)
  }
  return value
}

const hostFlag = (raw: string): string => {
  const hostname = LocalOrigin.hostnameOf(raw.trim())
  if (hostname === undefined || raw.includes(":") && !raw.startsWith("[")) {
    throw new DevOptionsError(`--allowed-host: expected a host name without a port (e.g. devbox.local), got "${raw}"`)
  }
  return hostname
}

/** The options for `args`, or `"help"`; throws `DevOptionsError` for anything it cannot read. */
export const parseOptions = (args: ReadonlyArray<string>): Options | "help" => {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(args)
  } catch (error) {
    throw new DevOptionsError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`)
  }
  const { values } = parsed
  if (values.help) return "help"
  const port = (name: "port" | "grpc-port" | "http-port", fallback: number) =>
    integerFlag(name, values[name], fallback, 0, 65_535)
  const size = (name: "max-spans" | "max-logs" | "max-metric-points", fallback: number) =>
    integerFlag(name, values[name], fallback, 1, 10_000_000)
  if (values.file !== undefined && values.file.trim() === "") throw new DevOptionsError("--file: expected a path, got an empty string")
  return {
    port: port("port", defaults.port),
    grpcPort: port("grpc-port", defaults.grpcPort),
    httpPort: port("http-port", defaults.httpPort),
    capacity: {
      maxSpans: size("max-spans", defaults.capacity.maxSpans),
      maxLogs: size("max-logs", defaults.capacity.maxLogs),
      maxMetricPoints: size("max-metric-points", defaults.capacity.maxMetricPoints),
      maxBytes: sizeFlag("max-bytes", values["max-bytes"], defaults.capacity.maxBytes, 1024 * 1024)
    },
    maxBodyBytes: sizeFlag("max-body-bytes", values["max-body-bytes"], defaults.maxBodyBytes, 1024),
    allowedHosts: (values["allowed-host"] ?? []).map(hostFlag),
    file: values.file
  }
}

const parse = (args: ReadonlyArray<string>) =>
  parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: "string" },
      "grpc-port": { type: "string" },
      "http-port": { type: "string" },
      "max-spans": { type: "string" },
      "max-logs": { type: "string" },
      "max-metric-points": { type: "string" },
      "max-bytes": { type: "string" },
      "max-body-bytes": { type: "string" },
      "allowed-host": { type: "string", multiple: true },
      file: { type: "string" },
      help: { type: "boolean", short: "h" }
    }
  })

const ALLOWED_HOSTS_HINT = "; to use another name, start lingo-obs dev with --allowed-host NAME"

const portError = (what: string, flag: string, error: unknown): DevStartError =>
  new DevStartError(
    `could not listen for ${what} on 127.0.0.1 (${error instanceof Error ? error.message : String(error)}); ` +
      `is another collector or lingo-obs dev running? Stop it or pass ${flag}`
  )

/** Starts the receiver, the store (reloading `file`) and the viewer's server. */
export const start = async (partial: StartOptions = {}): Promise<Dev> => {
  const options: Options = { ...defaults, ...partial, capacity: { ...defaults.capacity, ...partial.capacity } }
  const store = Store.make(options.capacity)
  const journal = options.file === undefined
    ? undefined
    : await Journal.open(options.file, store, {
      onError: (error) => console.error(`lingo-obs dev: writing ${options.file} failed: ${String(error)}`),
      onWarning: (message) => console.error(`lingo-obs dev: ${message}`)
    }).catch((error: unknown) => {
      throw error instanceof Journal.JournalError ? new DevStartError(`--file: ${error.message}`) : error
    })

  const receiver = await OtlpReceiver.start({
    port: options.grpcPort,
    httpPort: options.httpPort,
    countOnly: true,
    maxBodyBytes: options.maxBodyBytes,
    allowedHosts: options.allowedHosts,
    allowedHostsHint: ALLOWED_HOSTS_HINT,
    onReceive: {
      traces: (received) => {
        const spans = Convert.spans(received)
        store.addSpans(spans)
        journal?.append("span", spans)
      },
      logs: (received) => {
        const records = Convert.logRecords(received)
        store.addLogs(records)
        journal?.append("log", records)
      },
      metrics: (received) => {
        const points = Convert.metricPoints(received)
        store.addMetricPoints(points)
        journal?.append("metric", points)
      }
    }
  }).catch(async (error: unknown) => {
    await journal?.close()
    throw portError(`OTLP (gRPC :${options.grpcPort}, HTTP :${options.httpPort})`, "--grpc-port / --http-port", error)
  })

  const server = await Server.start({
    store,
    port: options.port,
    allowedHosts: options.allowedHosts,
    allowedHostsHint: ALLOWED_HOSTS_HINT,
    ...(options.assetsDir === undefined ? {} : { assetsDir: options.assetsDir }),
    info: () => ({
      ...(options.file === undefined ? {} : { file: options.file }),
      endpoints: { grpc: receiver.endpoint, http: receiver.httpEndpoint }
    })
  }).catch(async (error: unknown) => {
    await receiver.stop()
    await journal?.close()
    throw portError(`the viewer (:${options.port})`, "--port", error)
  })

  let stopping: Promise<void> | undefined
  return {
    url: server.url,
    store,
    receiver,
    journal,
    stop: () =>
      (stopping ??= (async () => {
        await receiver.stop()
        await server.close()
        await journal?.close()
      })())
  }
}

const formatSize = (bytes: number): string =>
  bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3} GiB` : bytes % 1024 ** 2 === 0 ? `${bytes / 1024 ** 2} MiB` : `${bytes} bytes`

const describeStart = (dev: Dev, options: Options): string => {
  const { maxSpans, maxLogs, maxMetricPoints, maxBytes } = options.capacity
  const lines = [
    `lingo-obs dev: viewer on ${dev.url}`,
    `  OTLP       gRPC ${dev.receiver.endpoint}, HTTP ${dev.receiver.httpEndpoint} (protobuf and JSON)`,
    `  keeps the last ${maxSpans} spans, ${maxLogs} log records, ${maxMetricPoints} metric points, ` +
      `at most ${formatSize(maxBytes)} in all`
  ]
  if (dev.journal !== undefined) {
    const skipped = dev.journal.skipped > 0 ? `, ${dev.journal.skipped} unreadable line(s) dropped` : ""
    lines.push(`  file       ${dev.journal.path} (${dev.journal.loaded} item(s) reloaded${skipped})`)
  }
  return lines.join("\n")
}

/**
 * The `dev` command: starts everything, prints the viewer's URL, runs until SIGINT or SIGTERM,
 * then stops cleanly. Bad arguments reject with a `DevOptionsError` that carries the usage.
 */
export const runDev = async (args: ReadonlyArray<string>): Promise<void> => {
  const options = parseOptions(args)
  if (options === "help") {
    process.stdout.write(usage)
    return
  }
  const dev = await start(options)
  process.stdout.write(`${describeStart(dev, options)}\n`)
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (received: NodeJS.Signals) => {
      process.off("SIGINT", onSignal)
      process.off("SIGTERM", onSignal)
      resolve(received)
    }
    process.on("SIGINT", onSignal)
    process.on("SIGTERM", onSignal)
  })
  await dev.stop()
  process.stdout.write(`lingo-obs dev: stopped (${signal})\n`)
}
