/**
 * A collector that misbehaves the way issue 18 found: it answers every OTLP export (gRPC and
 * OTLP/HTTP, plaintext or TLS) with an authentication failure whose text echoes the request's API
 * key and bearer token and carries terminal control characters — or, in `accept` mode, takes every
 * export. Binds 127.0.0.1 only.
 */
import * as Grpc from "@grpc/grpc-js"
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Https from "node:https"
import type * as Net from "node:net"
import * as Path from "node:path"
import { tempDirectory } from "./support.js"

/**
 * What a hostile server appends to its answers: clear screen, set the window title, bell, a carriage
 * return and a line break that would forge a log line, a right-to-left override, an 8-bit CSI.
 */
export const HOSTILE_TEXT = "\u001b[2J\u001b]0;pwned\u0007\rFORGED LINE\n\u202eevil\u009b31m"

/**
 * Characters no output may carry raw. Line feed and tab are left out, since every output has
 * line breaks of its own; a forged line is caught by `FORGED` starting a line instead.
 */
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

const SERVICES = [
  "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
  "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
  "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
]

export interface HostileOptions {
  /** `echo` refuses every export with the echo; `accept` answers every export with success. */
  readonly mode: "echo" | "accept"
  /** Serve TLS with this pair; the HTTP side offers `alpn` (default `http/1.1` only). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly alpn?: ReadonlyArray<string> }
}

export interface HostileCollector {
  /** `127.0.0.1:port` of the OTLP/HTTP side. */
  readonly httpAddress: string
  /** `127.0.0.1:port` of the gRPC side. */
  readonly grpcAddress: string
  /** The API keys and authorization values the collector was sent (to prove the echo had something to echo). */
  readonly received: () => ReadonlyArray<string>
  readonly stop: () => Promise<void>
}

const echo = (apiKey: string, authorization: string) =>
  `invalid api key ${apiKey}; token ${authorization.replace(/^Bearer\s+/i, "")} not accepted (${authorization})${HOSTILE_TEXT}`

export const start = async (options: HostileOptions): Promise<HostileCollector> => {
  const received: Array<string> = []
  const remember = (apiKey: string, authorization: string) => received.push(apiKey, authorization)

  const handler: Http.RequestListener = (request, response) => {
    request.resume()
    request.on("end", () => {
      const apiKey = String(request.headers["x-api-key"] ?? "")
      const authorization = String(request.headers.authorization ?? "")
      remember(apiKey, authorization)
      if (options.mode === "accept") {
        response.writeHead(200, { "content-type": "application/x-protobuf" }).end()
      } else {
        response.writeHead(401, { "content-type": "text/plain" }).end(echo(apiKey, authorization))
      }
    })
  }
  const http = options.tls === undefined
    ? Http.createServer(handler)
    : Https.createServer({ cert: options.tls.cert, key: options.tls.key, ALPNProtocols: [...(options.tls.alpn ?? ["http/1.1"])] }, handler)
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve))

  const grpc = new Grpc.Server()
  const same = (value: Buffer) => value
  for (const path of SERVICES) {
    grpc.addService(
      {
        Export: {
          path,
          requestStream: false,
          responseStream: false,
          requestSerialize: same,
          requestDeserialize: same,
          responseSerialize: same,
          responseDeserialize: same
        }
      },
      {
        Export: (call: Grpc.ServerUnaryCall<Buffer, Buffer>, callback: Grpc.sendUnaryData<Buffer>) => {
          const apiKey = String(call.metadata.get("x-api-key")[0] ?? "")
          const authorization = String(call.metadata.get("authorization")[0] ?? "")
          remember(apiKey, authorization)
          if (options.mode === "accept") callback(null, Buffer.alloc(0))
          else callback({ code: Grpc.status.UNAUTHENTICATED, details: echo(apiKey, authorization) })
        }
      }
    )
  }
  const credentials = options.tls === undefined
    ? Grpc.ServerCredentials.createInsecure()
    : Grpc.ServerCredentials.createSsl(null, [{ cert_chain: options.tls.cert, private_key: options.tls.key }], false)
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpc.bindAsync("127.0.0.1:0", credentials, (error, port) => (error ? reject(error) : resolve(port)))
  )

  return {
    httpAddress: `127.0.0.1:${(http.address() as Net.AddressInfo).port}`,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    received: () => received,
    stop: async () => {
      http.closeAllConnections?.()
      await new Promise<void>((resolve) => http.close(() => resolve()))
      await new Promise<void>((resolve) => grpc.tryShutdown(() => resolve()))
    }
  }
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost whose subject and issuer carry the hostile
 * characters (ESC, BEL, CR, a bidi override); made with openssl. `file` is its PEM, which also
 * serves as the CA that trusts it.
 */
export const hostileCertificate = (): { readonly cert: Buffer; readonly key: Buffer; readonly file: string } => {
  const directory = tempDirectory("lingo-obs-hostile-tls-")
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-utf8",
    "-keyout", "key.pem", "-out", "cert.pem",
    "-subj", "/CN=collector\u001b[2J\u0007\rFORGED\u202eevil/O=corp\u001b]0;title\u0007",
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"
  ], { cwd: directory, stdio: "pipe" })
  const file = Path.join(directory, "cert.pem")
  return { cert: Fs.readFileSync(file), key: Fs.readFileSync(Path.join(directory, "key.pem")), file }
}
