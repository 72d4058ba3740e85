/**
 * Issue 18's canary for text from outside: a collector that echoes the request's API key and bearer
 * token in its error answers and sends terminal control characters (and a certificate whose subject
 * carries them) must get neither printed — by a service (its ERROR line) nor by `doctor` — over
 * gRPC and OTLP/HTTP. Every check runs the real program in a child process and greps all it wrote.
 * Also: `doctor` against an HTTPS collector that speaks HTTP/1.1 only.
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Tls from "node:tls"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Cli from "../src/Cli.js"
import * as Hostile from "./hostileCollector.js"
import { capture, hasOpenssl, tempDirectory, writeConfig } from "./support.js"

const API_KEY = "canary-key-5f0e1d2c"
const TOKEN = "canary-token-9a8b7c6d"
const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")
const directory = tempDirectory("lingo-obs-server-text-")

/** Runs a TypeScript entry point from the sources in a child process; all of stdout and stderr. */
const run = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@lingo-obs/source", ...args], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, output }))
  })

/** The headers, one through the environment (percent-encoded as the OTel variable wants it). */
const HEADERS_VARIABLE = { OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${API_KEY},authorization=Bearer%20${TOKEN}` }

/** What no output may hold: the canaries, a raw control character, a line the server forged. */
const expectClean = (output: string) => {
  expect(output).not.toContain(API_KEY)
  expect(output).not.toContain(TOKEN)
  expect(output.match(Hostile.RAW_CONTROL), JSON.stringify(output)).toBeNull()
  expect(output).not.toMatch(/^FORGED/m)
}

const TRANSPORTS = [
  { protocol: "grpc", side: "grpcAddress", refusal: "UNAUTHENTICATED" },
  { protocol: "http/protobuf", side: "httpAddress", refusal: "HTTP 401" }
] as const

describe("a collector's echo of the credentials and its control characters reach no output", () => {
  let collector: Hostile.HostileCollector
  beforeAll(async () => {
    collector = await Hostile.start({ mode: "echo" })
  })
  afterAll(() => collector.stop())

  for (const { protocol, refusal, side } of TRANSPORTS) {
    it(`in the service's ERROR line (${protocol})`, async () => {
      const result = await run(["packages/observability/test/fixtures/fresh.ts"], {
        ...HEADERS_VARIABLE,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://${collector[side]}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_METRICS_EXPORTER: "none"
      })
      expect(result.code, result.output).toBe(0)
      expectClean(result.output)
      // The collector got the credentials, refused, and its answer was logged — made harmless.
      expect(collector.received()).toContain(API_KEY)
      expect(result.output).toContain(refusal)
      expect(result.output).toMatch(/invalid api key \*\*\*; token \*\*\* not accepted \(\*\*\*\)/)
      expect(result.output).toContain("\\x1b[2J")
      expect(result.output).toContain("\\u202eevil")
    }, 120_000)

    it(`in doctor's report (${protocol})`, async () => {
      const config = writeConfig(directory, {
        tracing: { protocol, endpoint: `http://${collector[side]}`, headers: { "x-api-key": API_KEY } },
        metrics: { enabled: false }
      })
      const result = await run(["packages/cli/src/bin.ts", "doctor", config], {
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${TOKEN}`
      })
      expect(result.code, result.output).toBe(1)
      expectClean(result.output)
      expect(result.output).toMatch(new RegExp(`FAIL\\s+export\\s+1 span refused: ${refusal} \\(invalid api key \\*\\*\\*`))
      expect(result.output).toContain("\\x1b]0;pwned\\x07\\rFORGED LINE\\n")
    }, 120_000)
  }
})

describe.skipIf(!hasOpenssl)("a certificate whose subject carries control characters", () => {
  let collector: Hostile.HostileCollector
  let certificate: ReturnType<typeof Hostile.hostileCertificate>
  beforeAll(async () => {
    certificate = Hostile.hostileCertificate()
    collector = await Hostile.start({ mode: "echo", tls: certificate })
  })
  afterAll(() => collector.stop())

  for (const { protocol, refusal, side } of TRANSPORTS) {
    it(`is printed escaped by doctor, and the echo over TLS is cleaned too (${protocol})`, async () => {
      const config = writeConfig(directory, {
        tracing: { protocol, endpoint: `https://${collector[side]}`, certificate: certificate.file },
        metrics: { enabled: false }
      })
      const result = await run(["packages/cli/src/bin.ts", "doctor", config], HEADERS_VARIABLE)
      expect(result.code, result.output).toBe(1)
      expectClean(result.output)
      expect(result.output).toMatch(
        new RegExp(`ok\\s+tls\\s+TLSv1\\.3, ALPN ${protocol === "grpc" ? "h2" : "http/1\\.1"}, certificate `)
      )
      expect(result.output).toContain("CN=collector\\x1b[2J\\x07\\rFORGED\\u202eevil, O=corp\\x1b]0;title\\x07")
      expect(result.output).toContain(`1 span refused: ${refusal}`)
    }, 120_000)
  }
})

describe.skipIf(!hasOpenssl)("doctor against an HTTPS collector that speaks HTTP/1.1 only", () => {
  let collector: Hostile.HostileCollector
  let certificate: ReturnType<typeof Hostile.hostileCertificate>
  beforeAll(async () => {
    certificate = Hostile.hostileCertificate()
    collector = await Hostile.start({ mode: "accept", tls: { ...certificate, alpn: ["http/1.1"] } })
  })
  afterAll(() => collector.stop())

  /** Doctor, in process, for traces over `protocol` to the collector's HTTPS (HTTP/1.1-only) port. */
  const doctor = async (protocol: string) => {
    const output = capture()
    const code = await Cli.main([
      "doctor",
      writeConfig(directory, {
        tracing: { protocol, endpoint: `https://${collector.httpAddress}`, certificate: certificate.file },
        metrics: { enabled: false }
      })
    ], output)
    return { code, out: output.out() + output.err() }
  }

  it("refuses a handshake that offers h2 alone (what doctor offered before), so the case is real", async () => {
    const [host, port] = collector.httpAddress.split(":")
    const refused = await new Promise<string>((resolve) => {
      const socket = Tls.connect({ host: host!, port: Number(port), ALPNProtocols: ["h2"], rejectUnauthorized: false })
      socket.once("secureConnect", () => {
        socket.destroy()
        resolve("connected")
      })
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
    })
    expect(refused).toBe("ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL")
  })

  it("passes over OTLP/HTTP, reporting the ALPN it negotiated", async () => {
    const result = await doctor("http/protobuf")
    expect(result.code, result.out).toBe(0)
    expect(result.out).toMatch(/ok\s+tls\s+TLSv1\.3, ALPN http\/1\.1, certificate /)
    expect(result.out).toMatch(/ok\s+export\s+1 span accepted/)
    expect(result.out).not.toMatch(Hostile.RAW_CONTROL)
  })

  it("says clearly that gRPC needs h2 when the endpoint negotiated HTTP/1.1", async () => {
    const result = await doctor("grpc")
    expect(result.code, result.out).toBe(1)
    expect(result.out).toMatch(/FAIL\s+tls\s+TLSv1\.3, ALPN http\/1\.1, .*: the server chose http\/1\.1, but gRPC needs HTTP\/2 \(ALPN h2\)/)
    expect(result.out).toContain(
      "set tracing.protocol (or OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL) to http/protobuf"
    )
  })
})

describe("a config section written as a string", () => {
  it("is named with the expected and the actual type by doctor and config check, never echoed", async () => {
    const file = Path.join(directory, "string-section.yaml")
    Fs.writeFileSync(file, `observability:\n  tracing: "authorization=Bearer ${TOKEN}"\n  metrics:\n    headers: x-api-key=${API_KEY}\n`)
    for (const args of [["doctor", file], ["config", "check", file]]) {
      const result = await run(["packages/cli/src/bin.ts", ...args], {})
      expect(result.code, result.output).toBe(1)
      expectClean(result.output)
      expect(result.output).toContain("tracing: Expected an object, got a string")
      expect(result.output).toContain("metrics.headers: Expected a map of names to string values, got a string")
    }
  }, 120_000)
})
