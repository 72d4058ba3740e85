/**
 * The resource every span carries, built as on the Effect 3 line: who the service is
 * (`service.*`, the deployment environment), where it runs (host, process, runtime, Cloud Run),
 * the SDK (`telemetry.sdk.*`), `OTEL_RESOURCE_ATTRIBUTES` and the config's `globalAttributes`
 * (both already merged into `config.globalAttributes` by the config overlay). No network call,
 * so startup never waits on a metadata server.
 *
 * @example
 * ```ts
 * const resource = ServiceResource.make(config, { name: "gateway", version: "1.4.2" })
 * ```
 */
import { randomUUID } from "node:crypto"
import * as Os from "node:os"
import { defaultResource, type Resource, resourceFromAttributes } from "@opentelemetry/resources"
import type * as Config from "./config/Config.js"

/** Service identity given at the program entry; it overrides the config and the environment. */
export interface ServiceInfo {
  readonly name?: string | undefined
  readonly version?: string | undefined
  readonly environment?: string | undefined
}

/** `service.instance.id`: tells two replicas of a service apart (a random UUID per process unless set). */
export const INSTANCE_ID_KEY = "service.instance.id"

/** This process's instance id: one UUID, the same for every resource the process builds. */
export const instanceId: string = randomUUID()

/** The attribute keys a backend reads for the deployment environment: the stable one and the older one. */
export const ENVIRONMENT_KEYS = ["deployment.environment.name", "deployment.environment"] as const

const nonBlank = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value

/** Cloud Run sets `K_SERVICE` / `K_REVISION`; their presence is enough to tell. */
const cloudRunAttributes = (environment: Readonly<Record<string, string | undefined>>): Record<string, string> => {
  const service = nonBlank(environment["K_SERVICE"])
  if (service === undefined) return {}
  const revision = nonBlank(environment["K_REVISION"])
  return {
    "cloud.provider": "gcp",
    "cloud.platform": "gcp_cloud_run",
    "faas.name": service,
    ...(revision === undefined ? {} : { "faas.version": revision })
  }
}

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
 * The resource's attributes, in order of increasing precedence: SDK and process facts (and this
 * process's `service.instance.id`), `globalAttributes`, Cloud Run, then the service identity.
 */
export const attributes = (
  config: Config.ObservabilityConfig,
  service: ServiceInfo = {},
  environment: Readonly<Record<string, string | undefined>> = process.env
): Record<string, string | number | boolean> => {
  const name = service.name ?? config.service.name ?? config.globalAttributes["service.name"] ?? "unknown_service:node"
  const version = service.version ?? config.service.version ?? config.globalAttributes["service.version"]
  const deployment = service.environment ?? config.service.environment
  const identity: Record<string, string> = { "service.name": name }
  if (version !== undefined) identity["service.version"] = version
  if (deployment !== undefined) for (const key of ENVIRONMENT_KEYS) identity[key] = deployment
  const sdk = defaultResource().attributes as Record<string, string | number | boolean>
  const telemetrySdk = Object.fromEntries(Object.entries(sdk).filter(([key]) => key.startsWith("telemetry.sdk.")))
  return {
    ...telemetrySdk,
    ...processAttributes(),
    [INSTANCE_ID_KEY]: instanceId,
    ...config.globalAttributes,
    ...cloudRunAttributes(environment),
    ...identity
  }
}

/** The OpenTelemetry `Resource` for the tracer and the SDK providers. */
export const make = (
  config: Config.ObservabilityConfig,
  service: ServiceInfo = {},
  environment: Readonly<Record<string, string | undefined>> = process.env
): Resource => resourceFromAttributes(attributes(config, service, environment))
