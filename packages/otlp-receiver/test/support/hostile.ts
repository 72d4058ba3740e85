/**
 * Hostile OTLP requests, built byte by byte (an encoder would refuse or overflow on them): the
 * receiver's and `lingo-obs dev`'s hostile tests send them over OTLP/HTTP and OTLP/gRPC.
 */
import * as grpc from "@grpc/grpc-js"
import { gzipSync } from "node:zlib"

const varint = (value: number): Array<number> => {
  const bytes: Array<number> = []
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80)
    value >>>= 7
  }
  bytes.push(value)
  return bytes
}

/** A length-delimited protobuf field. */
export const field = (number: number, body: Uint8Array | string): Buffer => {
  const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.from(body)
  return Buffer.concat([Buffer.from([...varint((number << 3) | 2), ...varint(bytes.length)]), bytes])
}

export const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"

/** An ExportTraceServiceRequest holding these spans, each given by its own fields' bytes. */
export const traceRequest = (...spans: Array<Buffer>): Buffer =>
  field(1, field(2, Buffer.concat(spans.map((span) => field(2, span)))))

/** A span's fields: ids, a name and one attribute whose value (an encoded AnyValue) is given. */
export const spanFields = (
  name: string,
  attribute: Buffer,
  ids: { readonly traceId?: string; readonly spanId?: string; readonly parentSpanId?: string | undefined } = {}
): Buffer =>
  Buffer.concat([
    field(1, Buffer.from(ids.traceId ?? TRACE_ID, "hex")),
    field(2, Buffer.from(ids.spanId ?? "00f067aa0ba902b7", "hex")),
    ...(ids.parentSpanId === undefined ? [] : [field(4, Buffer.from(ids.parentSpanId, "hex"))]),
    field(5, name),
    field(9, Buffer.concat([field(1, "deep"), field(2, attribute)]))
  ])

/** A span id (16 hex digits) for a number. */
export const spanIdOf = (index: number): string => (index + 1).toString(16).padStart(16, "0")

/** One trace whose spans each have the previous as parent: `depth` levels deep. */
export const chainRequest = (depth: number): Buffer =>
  traceRequest(
    ...Array.from({ length: depth }, (_, index) =>
      spanFields(`level ${index}`, field(1, "x"), { spanId: spanIdOf(index), parentSpanId: index === 0 ? undefined : spanIdOf(index - 1) })
    )
  )

/** An AnyValue of key-value lists nested `depth` deep around a string, built inside out without recursion. */
export const nestedKvlist = (depth: number): Buffer => {
  let value = field(1, "leaf")
  for (let level = 0; level < depth; level++) {
    value = field(6, field(1, Buffer.concat([field(1, "k"), field(2, value)])))
  }
  return value
}

/** The same request in OTLP/JSON. */
export const nestedKvlistJson = (depth: number): string =>
  `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE_ID}","spanId":"00f067aa0ba902b7","name":"deep",` +
  `"attributes":[{"key":"deep","value":${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(depth)}{"stringValue":"leaf"}${"}]}}".repeat(depth)}}]}]}]}]}`

/**
 * A 23-byte logs request that decodes at the top but whose embedded resource does not: a length
 * that runs past the end. The logs schema keeps such parts as bytes and decodes them later.
 */
export const malformedLogsRequest = (): Buffer => {
  const record = field(2, field(3, "x"))
  const request = field(1, Buffer.concat([field(1, Buffer.from([0x0a, 0x7f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a])), field(2, record)]))
  return request
}

/** A trace request of empty spans (two bytes each) filling `bytes`: millions of items in a few MiB. */
export const emptySpansRequest = (bytes: number): Buffer => {
  const spans = Buffer.alloc(bytes - 16)
  for (let index = 0; index + 1 < spans.length; index += 2) spans[index] = 0x12
  return field(1, field(2, spans))
}

/** A gzip body of `inflatedBytes` zeros: tiny on the wire, enormous inflated. */
export const gzipBomb = (inflatedBytes: number): Buffer => gzipSync(Buffer.alloc(inflatedBytes), { level: 9 })

export const LOGS_EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
export const TRACES_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

/** Sends raw bytes as one unary gRPC call; resolves to the status code it ended with. */
export const grpcRaw = (endpoint: string, method: string, body: Buffer): Promise<{ code: grpc.status; details: string }> =>
  new Promise((resolve) => {
    const client = new grpc.Client(endpoint, grpc.credentials.createInsecure())
    client.makeUnaryRequest(method, (bytes: Buffer) => bytes, (bytes: Buffer) => bytes, body, (error) => {
      client.close()
      resolve(error === null ? { code: grpc.status.OK, details: "" } : { code: error.code, details: error.details })
    })
  })
export { status as GrpcStatus } from "@grpc/grpc-js"
