/**
 * The `partial_success` of an OTLP Export response, decoded from its protobuf bytes. The three
 * signals' responses share the layout: field 1 is the partial success, whose field 1 is the
 * rejected count (spans, data points or log records) and field 2 the error message; so one
 * decoder serves them all, through the toolkit's bounded wire reader.
 *
 * @example
 * ```ts
 * const partial = PartialSuccess.decode(responseBytes) // { rejected: 28, message: "too old" }
 * ```
 */

import { LENGTH_DELIMITED, ProtoReader, VARINT } from "./ProtoReader.js"

/** Rejected items and the server's message; `undefined` when the response reports none. */
export interface PartialSuccess {
  readonly rejected: number
  readonly message: string
}

/** The partial success a response reports, or `undefined` when it reports none or cannot be read. */
export const decode = (response: Uint8Array | undefined): PartialSuccess | undefined => {
  if (response === undefined || response.length === 0) return undefined
  try {
    let rejected = 0
    let message = ""
    const reader = ProtoReader.of(response, { path: "Export response" })
    for (let field = reader.next(); field !== undefined; field = reader.next()) {
      if (field !== 1 || reader.wireType !== LENGTH_DELIMITED) {
        reader.skip()
        continue
      }
      const partial = reader.message("partial_success")
      for (let inner = partial.next(); inner !== undefined; inner = partial.next()) {
        if (inner === 1 && partial.wireType === VARINT) rejected = partial.uint()
        else if (inner === 2 && partial.wireType === LENGTH_DELIMITED) message = partial.string()
        else partial.skip()
      }
    }
    // The spec: a partial success with no rejected items and no message means full success.
    return rejected === 0 && message === "" ? undefined : { rejected, message }
  } catch {
    return undefined
  }
}
