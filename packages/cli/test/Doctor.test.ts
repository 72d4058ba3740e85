import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { status } from "@grpc/grpc-js"
import { OtlpReceiver } from "@lingo-obs/otlp-receiver"
import * as Cli from "../src/Cli.js"
import { capture, type Certificates, deadPort, hasOpenssl, makeCertificates, tempDirectory, writeConfig } from "./support.js"

const directory = tempDirectory("lingo-obs-doctor-")

/** All three signals to `endpoint`, with `fields` in each section. */
const allSignals = (endpoint: string, fields: Record<string, unknown> = {}) => ({
  tracing: { endpoint, ...fields },
  metrics: { endpoint, ...fields },
  logs: { enabled: true, endpoint, ...fields }
})

const doctor = async (sections: Record<string, Record<string, unknown>>) => {
  const output = capture()
  const code = await Cli.main(["doctor", writeConfig(directory, sections)], output)
  return { code, out: output.out(), err: output.err() }
}

/** The lines of one signal's block in the report. */
const block = (out: string, signal: string): string => {
  const lines = out.split("\n")
  const start = lines.findIndex((line) => line.startsWith(`${signal}:`))
  const end = lines.findIndex((line, index) => index > start && /^\S/.test(line))
  return lines.slice(start, end === -1 ? undefined : end).join("\n")
}

describe("lingo-obs doctor against a plaintext receiver", () => {
  let receiver: OtlpReceiver.Receiver
  beforeAll(async () => {
    receiver = await OtlpReceiver.start()
  })
  afterAll(() => receiver.stop())

  it("sends one span, metric point and log record, and exits 0 when all got through", async () => {
    receiver.reset()
    const result = await doctor(allSignals(`http://${receiver.endpoint}`))
    expect(result.code, result.out + result.err).toBe(0)
    for (const signal of ["traces", "metrics", "logs"]) {
      expect(block(result.out, signal)).toMatch(/ok\s+export\s+1 (span|metric point|log record) accepted/)
    }
    expect(result.out).toContain("All 3 exporting signal(s) reached the collector.")
    const span = await receiver.waitForSpan("lingo_obs.doctor")
    expect(span.attributes["lingo_obs.doctor"]).toBe(true)
    expect((await receiver.waitForMetric("lingo_obs.doctor")).dataPoints[0]?.value).toBe(1)
    expect((await receiver.waitForLogs(1))[0]?.body).toBe("lingo-obs doctor test record")
  })

  it("names UNAUTHENTICATED with the header to set, never printing header values", async () => {
    receiver.reset()
    receiver.setFault({ code: status.UNAUTHENTICATED, message: "missing api key" })
    const result = await doctor({
      tracing: { endpoint: `http://${receiver.endpoint}`, headers: { authorization: "Bearer s3cr3t" } },
      metrics: { enabled: false }
    })
    expect(result.code).toBe(1)
    expect(result.out).toContain("1 span refused: UNAUTHENTICATED (missing api key)")
    expect(result.out).toMatch(/remedy: the collector wants credentials \(headers sent: authorization\): set the header it expects in tracing\.headers/)
    expect(result.out).not.toContain("s3cr3t")
  })

  it("checks OTLP/HTTP too: protobuf and JSON requests delivered, a 401 named with the header to set", async () => {
    receiver.reset()
    const ok = await doctor({
      tracing: { protocol: "http/protobuf", endpoint: receiver.httpEndpoint },
      metrics: { protocol: "http/json", endpoint: receiver.httpEndpoint },
      logs: { enabled: true, protocol: "http/protobuf", endpoint: receiver.httpEndpoint }
    })
    expect(ok.code, ok.out + ok.err).toBe(0)
    expect(block(ok.out, "traces")).toContain(`otlp http/protobuf ${receiver.httpEndpoint}/v1/traces (plaintext)`)
    expect(block(ok.out, "metrics")).toContain("1 metric point accepted")
    expect(await receiver.waitForSpan("lingo_obs.doctor")).toBeDefined()
    expect(receiver.requests().filter((request) => request.transport === "http")).toHaveLength(3)

    receiver.setFault({ signal: "traces", httpStatus: 401, message: "missing api key" })
    const refused = await doctor({
      tracing: { protocol: "http/protobuf", endpoint: receiver.httpEndpoint, headers: { "x-api-key": "s3cr3t" } },
      metrics: { enabled: false }
    })
    expect(refused.code).toBe(1)
    expect(refused.out).toContain("1 span refused: HTTP 401")
    expect(refused.out).toMatch(/remedy: the collector wants credentials \(headers sent: x-api-key\)/)
    expect(refused.out).not.toContain("s3cr3t")
  })

  it("names PERMISSION_DENIED with the IAM role", async () => {
    receiver.reset()
    receiver.setFault({ code: status.PERMISSION_DENIED })
    const result = await doctor({ tracing: { endpoint: `http://${receiver.endpoint}` }, metrics: { enabled: false } })
    expect(result.code).toBe(1)
    expect(result.out).toContain("PERMISSION_DENIED")
    expect(result.out).toContain("roles/cloudtrace.agent")
  })

  it("names UNIMPLEMENTED for logs as a missing logs pipeline, while traces and metrics pass", async () => {
    receiver.reset()
    receiver.setFault({ signal: "logs", code: status.UNIMPLEMENTED })
    const result = await doctor(allSignals(`http://${receiver.endpoint}`))
    expect(result.code).toBe(1)
    expect(block(result.out, "traces")).toContain("1 span accepted")
    expect(block(result.out, "logs")).toContain("FAIL  export  1 log record refused: UNIMPLEMENTED")
    expect(block(result.out, "logs")).toContain("add the otlp receiver to service.pipelines.logs")
    expect(result.out).toContain("1 of 3 exporting signal(s) failed: logs.")
  })

  it("names a TLS config against a plaintext server, before sending anything", async () => {
    receiver.reset()
    const result = await doctor({ tracing: { endpoint: receiver.endpoint, insecure: false }, metrics: { enabled: false } })
    expect(result.code).toBe(1)
    expect(result.out).toMatch(/FAIL\s+tls\s+the server does not speak TLS .*but the config expects TLS/)
    expect(result.out).toContain("set tracing.insecure (or OTEL_EXPORTER_OTLP_TRACES_INSECURE / OTEL_EXPORTER_OTLP_INSECURE) to true")
    expect(receiver.stats().traces).toBe(0)
  })

  it("names a refused connection, and exits non-zero", async () => {
    const port = await deadPort()
    const result = await doctor({ tracing: { endpoint: `http://127.0.0.1:${port}` }, metrics: { enabled: false } })
    expect(result.code).toBe(1)
    expect(result.out).toContain(`FAIL  tcp     connection refused by 127.0.0.1:${port}`)
    expect(result.out).toContain("remedy: nothing listens there: start the collector, or fix the port")
  })

  it("names a host that does not resolve", async () => {
    const result = await doctor({ tracing: { endpoint: "http://no-such-collector.invalid:4317" }, metrics: { enabled: false } })
    expect(result.code).toBe(1)
    expect(result.out).toMatch(/FAIL\s+dns\s+no-such-collector\.invalid does not resolve/)
  })

  it("has nothing to check when no signal exports over OTLP", async () => {
    const result = await doctor({ tracing: { exporter: "stdout" }, metrics: { enabled: false } })
    expect(result.code).toBe(0)
    expect(result.out).toContain("No signal exports over OTLP: nothing to check.")
  })
})

describe.skipIf(!hasOpenssl)("lingo-obs doctor against a TLS receiver (certificates from openssl)", () => {
  let receiver: OtlpReceiver.Receiver
  let certificates: Certificates
  beforeAll(async () => {
    certificates = makeCertificates()
    receiver = await OtlpReceiver.start({ tls: { cert: certificates.serverCert, key: certificates.serverKey } })
  })
  afterAll(() => receiver.stop())

  it("shows the certificate and exports with the right CA", async () => {
    receiver.reset()
    const result = await doctor({ tracing: { endpoint: receiver.endpoint, certificate: certificates.ca }, metrics: { enabled: false } })
    expect(result.code, result.out).toBe(0)
    expect(result.out).toMatch(/ok\s+tls\s+TLSv1\.3, ALPN h2, certificate CN=lingo-obs test collector issued by CN=lingo-obs test ca, expires \d{4}-\d\d-\d\d \(in [01] days\)/)
    expect(result.out).toContain("1 span accepted")
  })

  it("names a CA that did not sign the server's certificate", async () => {
    const result = await doctor({
      tracing: { endpoint: receiver.endpoint, certificate: certificates.otherCa },
      metrics: { enabled: false }
    })
    expect(result.code).toBe(1)
    expect(result.out).toMatch(new RegExp(`FAIL\\s+tls\\s+certificate CN=lingo-obs test collector .*: not accepted by the CA file ${certificates.otherCa.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`))
    expect(result.out).toContain("to the PEM of the CA that issued the collector's certificate (issuer CN=lingo-obs test ca)")
  })

  it("names the system roots when no CA is configured", async () => {
    const result = await doctor({ tracing: { endpoint: receiver.endpoint }, metrics: { enabled: false } })
    expect(result.code).toBe(1)
    expect(result.out).toContain("not accepted by the system's root CAs")
  })

  it("names a plaintext config against a TLS server", async () => {
    const result = await doctor({ tracing: { endpoint: `http://${receiver.endpoint}` }, metrics: { enabled: false } })
    expect(result.code).toBe(1)
    expect(result.out).toMatch(/FAIL\s+tls\s+the server speaks TLS \(certificate CN=lingo-obs test collector\), but the config sends plaintext/)
    expect(result.out).toContain("to false, or use an https:// or bare host:port endpoint")
  })
})
