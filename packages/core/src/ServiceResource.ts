/**
 * The resource every span and metric carries: who the service is (`service.*`, the deployment
 * environment), where it runs (host, process, runtime, Cloud Run), the SDK (`telemetry.sdk.*`),
 * `OTEL_RESOURCE_ATTRIBUTES` and the config's `globalAttributes`. Built from the environment
 * without any network call, so startup never waits on a metadata server.
 *
 * @example
 * ```ts
 * import { ServiceResource } from "@lingo-obs/core"
 *
 * const resource = yield* ServiceResource.make(config, { name: "gateway", version: "1.4.2" })
 * ```
 */
import { randomUUID } from "node:crypto"
import * as Os from "node:os"
import { defaultResource, type Resource, resourceFromAttributes } from "@opentelemetry/resources"
import * as EffectConfig from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Config from "./config/Config.js"
// Type-only: the name is checked against the installed conventions without loading the package.
import type { ATTR_SERVICE_INSTANCE_ID } from "@opentelemetry/semantic-conventions"

/** Service identity given at the program entry; it overrides the config and the environment. */
export interface ServiceInfo {
  readonly name?: string | undefined
  readonly version?: string | undefined
  readonly environment?: string | undefined
}

/**
 * `service.instance.id`: what tells two replicas of a service apart (without it their metrics
 * collide in the backend). The conventions ask for a random UUID per process unless one is set
 * (in `OTEL_RESOURCE_ATTRIBUTES` or `globalAttributes`).
 */
export const INSTANCE_ID_KEY = "service.instance.id" satisfies typeof ATTR_SERVICE_INSTANCE_ID

/** This process's instance id: one UUID, the same for every resource the process builds. */
export const instanceId: string = randomUUID()

/** The attribute keys a backend reads for the deployment environment: the stable one and the older one. */
export const ENVIRONMENT_KEYS = ["deployment.environment.name", "deployment.environment"] as const

const optionalVariable = (name: string) =>
  EffectConfig.option(EffectConfig.string(name)).pipe(
    Effect.orElseSucceed(() => Option.none<string>()),
    Effect.map((value) => Option.getOrUndefined(Option.filter(value, (text) => text.trim() !== "")))
  )

/** Cloud Run sets `K_SERVICE` / `K_REVISION` / `K_CONFIGURATION`; their presence is enough to tell. */
const cloudRunAttributes = Effect.gen(function*() {
  const service = yield* optionalVariable("K_SERVICE")
  if (service === undefined) return {}
  const revision = yield* optionalVariable("K_REVISION")
  return {
    "cloud.provider": "gcp",
    "cloud.platform": "gcp_cloud_run",
    "faas.name": service,
    ...(revision === undefined ? {} : { "faas.version": revision })
  }
})

const processAttributes = (): Record<string, string | number> => ({
  "host.name": Os.hostname(),
  "host.arch": process.arch,
  "os.type": process.platform,
  "process.pid": process.pid,
  "process.executable.name": process.title,
  "process.runtime.name": "nodejs",
  "process.runtime.version": process.versions.node,
  "process.runtime.description": "Node.js"
})

/**
 * The resource's attributes as a plain record, in order of increasing precedence:
 * SDK and process facts (and this process's `service.instance.id`), `OTEL_RESOURCE_ATTRIBUTES` and `globalAttributes` (already merged into
 * `config.globalAttributes` by `ConfigSource`), Cloud Run, then the service identity.
 */
export const attributes = (
  config: Config.ObservabilityConfig,
  service: ServiceInfo = {}
): Effect.Effect<Record<string, string | number | boolean>> =>
  Effect.gen(function*() {
    const name = service.name ?? config.service.name ?? config.globalAttributes["service.name"] ??
      `unknown_service:node`
    const version = service.version ?? config.service.version ?? config.globalAttributes["service.version"]
    const environment = service.environment ?? config.service.environment
    const identity: Record<string, string> = { "service.name": name }
    if (version !== undefined) identity["service.version"] = version
    if (environment !== undefined) {
      for (const key of ENVIRONMENT_KEYS) identity[key] = environment
    }
    const sdk = defaultResource().attributes as Record<string, string | number | boolean>
    const telemetrySdk = Object.fromEntries(Object.entries(sdk).filter(([key]) => key.startsWith("telemetry.sdk.")))
    return {
      ...telemetrySdk,
      ...processAttributes(),
      [INSTANCE_ID_KEY]: instanceId,
      ...config.globalAttributes,
      ...(yield* cloudRunAttributes),
      ...identity
    }
  })

/**
 * The resource as the `stdout` exporter prints it on a record, and the line it starts with (the
 * engine's, shared with the Effect 4 line).
 */
export { resourceForRecord as forStdout, resourceLine as stdoutLine } from "@lingo-obs/otlp/StdoutJson"

/** The OpenTelemetry `Resource` for the SDK providers. */
export const make = (config: Config.ObservabilityConfig, service: ServiceInfo = {}): Effect.Effect<Resource> =>
  Effect.map(attributes(config, service), (attrs) => resourceFromAttributes(attrs))
