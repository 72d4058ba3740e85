/**
 * The deployment samples under `deploy/` are documentation that could rot silently: every YAML
 * file must parse, the collector configs (plain, inside the Helm values, inside the Kubernetes
 * ConfigMap) must have the structure the collector expects, and the Terraform file must hang
 * together. The collector and Terraform themselves are not run.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Yaml from "yaml"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")
const DEPLOY = Path.join(ROOT, "deploy")

type Config = Record<string, unknown>

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const filesUnder = (dir: string, extension: string): Array<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    return entry.isDirectory() ? filesUnder(path, extension) : entry.name.endsWith(extension) ? [path] : []
  })

const read = (relative: string): string => Fs.readFileSync(Path.join(DEPLOY, relative), "utf8")
const documents = (relative: string): Array<unknown> => Yaml.parseAllDocuments(read(relative)).map((doc) => doc.toJS())
const section = (config: Config, key: string): Record<string, unknown> =>
  isObject(config[key]) ? config[key] as Record<string, unknown> : {}

/** Removes `key: null` entries: in Helm values they delete a chart default, they define nothing. */
const withoutNulls = (value: unknown): unknown =>
  isObject(value)
    ? Object.fromEntries(Object.entries(value).filter(([, item]) => item !== null).map(([key, item]) => [key, withoutNulls(item)]))
    : value

/** `otlp_grpc/backend` → `otlp_grpc`: the component type before the optional `/name`. */
const typeOf = (id: string): string => id.split("/")[0]!

/**
 * The component types the samples use. A new one is fine: add it here after checking its name
 * against the collector distribution's component list (a typo would otherwise pass).
 */
const KNOWN_TYPES: Record<string, ReadonlyArray<string>> = {
  receivers: ["otlp"],
  processors: ["memory_limiter", "batch", "resource", "resourcedetection"],
  exporters: ["otlp_grpc", "otlp", "otlp_http", "otlphttp", "debug", "googlecloud"],
  extensions: ["health_check", "googleclientauth"],
  connectors: []
}
const TOP_LEVEL = ["receivers", "processors", "exporters", "extensions", "connectors", "service"]
const SIGNALS = ["traces", "metrics", "logs", "profiles"]

/** The problems of a collector config, as readable lines (empty when it is well formed). */
const collectorProblems = (config: Config): Array<string> => {
  const problems: Array<string> = []
  for (const key of Object.keys(config)) {
    if (!TOP_LEVEL.includes(key)) problems.push(`unknown top-level key ${key}`)
  }
  for (const kind of Object.keys(KNOWN_TYPES)) {
    for (const id of Object.keys(section(config, kind))) {
      if (!KNOWN_TYPES[kind]!.includes(typeOf(id))) problems.push(`${kind}: unknown component type of ${id}`)
    }
  }
  const service = section(config, "service")
  for (const id of (service["extensions"] ?? []) as Array<string>) {
    if (!(id in section(config, "extensions"))) problems.push(`service.extensions: ${id} is not defined`)
  }
  const pipelines = Object.entries(section(service, "pipelines"))
  // All three signals: a service that exports logs to a collector without a logs pipeline gets
  // UNIMPLEMENTED and loses them.
  for (const signal of ["traces", "metrics", "logs"]) {
    if (!pipelines.some(([id]) => typeOf(id) === signal)) problems.push(`no ${signal} pipeline`)
  }
  for (const [id, pipeline] of pipelines) {
    if (!SIGNALS.includes(typeOf(id))) problems.push(`pipeline ${id}: unknown signal`)
    const list = (key: string) => (isObject(pipeline) && Array.isArray(pipeline[key]) ? pipeline[key] : []) as Array<string>
    const defined = (kind: string, name: string) => name in section(config, kind) || name in section(config, "connectors")
    for (const [key, kind] of [["receivers", "receivers"], ["processors", "processors"], ["exporters", "exporters"]] as const) {
      if (key !== "processors" && list(key).length === 0) problems.push(`pipeline ${id}: no ${key}`)
      for (const name of list(key)) {
        if (!defined(kind, name)) problems.push(`pipeline ${id}: ${key} ${name} is not defined`)
      }
    }
    if (typeOf(list("processors")[0] ?? "") !== "memory_limiter") problems.push(`pipeline ${id}: memory_limiter is not first`)
    if (!list("processors").some((name) => typeOf(name) === "batch")) problems.push(`pipeline ${id}: no batch processor`)
  }
  for (const [id, limiter] of Object.entries(section(config, "processors"))) {
    if (typeOf(id) !== "memory_limiter") continue
    if (!isObject(limiter) || !("check_interval" in limiter)) problems.push(`${id}: no check_interval`)
    if (!isObject(limiter) || !("limit_mib" in limiter || "limit_percentage" in limiter)) problems.push(`${id}: no limit`)
  }
  const grpc = section(section(section(section(config, "receivers"), "otlp"), "protocols"), "grpc")
  if (!String(grpc["endpoint"] ?? "").endsWith(":4317")) problems.push("receivers.otlp.protocols.grpc: not on port 4317")
  // The same rule the docs give the services: plaintext only to this machine.
  for (const [id, exporter] of Object.entries(section(config, "exporters"))) {
    const insecure = isObject(exporter) && isObject(exporter["tls"]) && exporter["tls"]["insecure"] === true
    const endpoint = isObject(exporter) ? String(exporter["endpoint"] ?? "") : ""
    if (insecure && !/^(https?:\/\/)?(localhost|127\.0\.0\.1)(:|$)/.test(endpoint)) {
      problems.push(`exporters.${id}: tls.insecure to a remote endpoint`)
    }
  }
  return problems
}

const collectorFiles = filesUnder(Path.join(DEPLOY, "collector"), ".yaml").map((file) => Path.relative(DEPLOY, file))
const gateway = Yaml.parse(read("collector/collector.yaml")) as Config

describe("deploy samples", () => {
  it("every YAML file parses, every document of it, without errors or warnings", () => {
    const files = filesUnder(DEPLOY, ".yaml").concat(filesUnder(DEPLOY, ".yml"))
    expect(files.length).toBeGreaterThanOrEqual(5)
    for (const file of files) {
      const docs = Yaml.parseAllDocuments(Fs.readFileSync(file, "utf8"))
      expect(docs.length, file).toBeGreaterThan(0)
      for (const doc of docs) {
        expect(doc.errors.map(String), file).toEqual([])
        expect(doc.warnings.map(String), file).toEqual([])
        expect(isObject(doc.toJS()), file).toBe(true)
      }
    }
  })

  it.each(collectorFiles)("%s is a well-formed collector config", (file) => {
    expect(collectorProblems(Yaml.parse(read(file)) as Config)).toEqual([])
    // `${VAR}` without `env:` is the deprecated expansion syntax.
    expect(read(file)).not.toMatch(/\$\{(?!env:)/)
  })

  it("the checks catch a broken config", () => {
    const broken = structuredClone(gateway) as Config
    const pipelines = section(section(broken, "service"), "pipelines")
    pipelines["traces"] = { receivers: ["otlp"], processors: ["batch"], exporters: ["otlp_grpc/missing"] }
    section(broken, "processors")["memory_limitter"] = {}
    expect(collectorProblems(broken)).toEqual([
      "processors: unknown component type of memory_limitter",
      "pipeline traces: exporters otlp_grpc/missing is not defined",
      "pipeline traces: memory_limiter is not first"
    ])
  })

  it("the Helm values run the gateway's pipelines in deployment mode", () => {
    const [values] = documents("helm/values.yaml") as [Config]
    expect(values["mode"]).toBe("deployment")
    expect(section(values, "image")["repository"]).toEqual(expect.any(String))
    const config = withoutNulls(values["config"]) as Config
    expect(collectorProblems(config)).toEqual([])
    expect(section(config, "service")["pipelines"]).toEqual(section(gateway, "service")["pipelines"])
    // The receiver's certificate is mounted where the config reads it.
    const tls = section(section(section(section(section(config, "receivers"), "otlp"), "protocols"), "grpc"), "tls")
    const mounts = (values["extraVolumeMounts"] ?? []) as Array<{ mountPath: string }>
    expect(mounts.map((mount) => mount.mountPath)).toContain(Path.posix.dirname(String(tls["cert_file"])))
  })

  it("the Kubernetes manifest runs the gateway config and exposes 4317", () => {
    const docs = documents("kubernetes/collector-gateway.yaml") as Array<Config>
    const byKind = (kind: string) => docs.find((doc) => doc["kind"] === kind)!
    expect(docs.map((doc) => doc["kind"])).toEqual(expect.arrayContaining(["ConfigMap", "Deployment", "Service"]))

    const configMap = byKind("ConfigMap")
    const [key, text] = Object.entries(section(configMap, "data"))[0] as [string, string]
    const config = Yaml.parse(text) as Config
    expect(collectorProblems(config)).toEqual([])
    expect(config, "the ConfigMap must hold deploy/collector/collector.yaml").toEqual(gateway)

    const pod = section(section(byKind("Deployment"), "spec"), "template")
    const podSpec = section(pod, "spec")
    const container = (podSpec["containers"] as Array<Config>)[0]!
    const mounts = container["volumeMounts"] as Array<{ name: string; mountPath: string }>
    const volumes = podSpec["volumes"] as Array<Config>
    const configArg = (container["args"] as Array<string>).find((arg) => arg.startsWith("--config="))!
    const configMount = mounts.find((mount) => Path.posix.join(mount.mountPath, key) === configArg.slice("--config=".length))
    expect(configMount, "--config points into the ConfigMap's mount").toBeDefined()
    const configVolume = volumes.find((volume) => volume["name"] === configMount!.name)!
    expect(section(configVolume, "configMap")["name"]).toBe(section(configMap, "metadata")["name"])
    const tls = section(section(section(section(section(config, "receivers"), "otlp"), "protocols"), "grpc"), "tls")
    expect(mounts.map((mount) => mount.mountPath)).toContain(Path.posix.dirname(String(tls["cert_file"])))

    const ports = section(byKind("Service"), "spec")["ports"] as Array<Config>
    expect(ports.map((port) => port["port"])).toContain(4317)
    const labels = section(section(pod, "metadata"), "labels")
    expect(labels).toMatchObject(section(section(byKind("Service"), "spec"), "selector"))
  })

  it("the Terraform sample grants the Telemetry API guide's roles and runs the collector as a sidecar on localhost", () => {
    const tf = read("terraform/cloud-run.tf")
    // Braces balance outside strings and comments.
    const code = tf.replace(/#.*$/gm, "").replace(/"(?:[^"\\]|\\.)*"/g, "\"\"")
    let depth = 0
    for (const char of code) {
      depth += char === "{" ? 1 : char === "}" ? -1 : 0
      expect(depth).toBeGreaterThanOrEqual(0)
    }
    expect(depth).toBe(0)

    expect(tf).toMatch(/resource "google_cloud_run_v2_service"/)
    expect(tf.match(/^\s*containers \{/gm)).toHaveLength(2)
    expect(tf).toMatch(/role\s*=\s*"roles\/cloudtrace\.agent"/)
    expect(tf).toMatch(/role\s*=\s*"roles\/monitoring\.metricWriter"/)
    // Logs, and serviceusage.services.use: the Telemetry API is a consumer API (Google's guide).
    expect(tf).toMatch(/role\s*=\s*"roles\/logging\.logWriter"/)
    expect(tf).toMatch(/role\s*=\s*"roles\/serviceusage\.serviceUsageConsumer"/)
    expect(tf).toMatch(/name\s*=\s*"OTEL_EXPORTER_OTLP_ENDPOINT"\s*\n\s*value\s*=\s*"http:\/\/localhost:4317"/)

    // The files it reads exist, and the sidecar config answers the startup probe and listens on localhost.
    const files = [...tf.matchAll(/file\("\$\{path\.module\}\/([^"]+)"\)/g)].map((match) => match[1]!)
    expect(files.length).toBeGreaterThan(0)
    for (const file of files) expect(Fs.existsSync(Path.join(DEPLOY, "terraform", file)), file).toBe(true)
    const sidecar = Yaml.parse(Fs.readFileSync(Path.join(DEPLOY, "terraform", files[0]!), "utf8")) as Config
    const probePort = /startup_probe\s*\{[\s\S]*?port\s*=\s*(\d+)/.exec(tf)?.[1]
    expect(String(section(section(sidecar, "extensions"), "health_check")["endpoint"])).toMatch(new RegExp(`:${probePort}$`))
    expect(section(section(section(section(sidecar, "receivers"), "otlp"), "protocols"), "grpc")["endpoint"])
      .toBe("localhost:4317")
  })
})
