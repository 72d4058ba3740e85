/**
 * What a header must look like to be sent: the rules gRPC metadata enforces (grpc-js throws on
 * anything else, deep in start-up) intersected with HTTP's, so one config works on either transport.
 * The config decoder rejects a bad header from a file (naming the field); the environment reader
 * warns and drops it. Messages name the header, never its value.
 */

/** gRPC keys: lower-case letters, digits, `-`, `_`, `.` (upper case is folded, as both protocols do). */
const LEGAL_NAME = /^[0-9a-z_.-]+$/
/** gRPC text values: printable ASCII, space included; no line breaks, no control or non-ASCII characters. */
const LEGAL_VALUE = /^[ -~]*$/

/**
 * An illegal header name as a message may show it: up to its first illegal character. A name is
 * often illegal because a value ran into it (`authorization: Bearer abc==` split at the last `=`,
 * `x-api-key:abc=…`), so the rest may be a credential.
 */
const shownName = (name: string): string => {
  const legal = /^[0-9A-Za-z_.-]*/.exec(name)![0]
  return legal === "" ? "(a name that starts with an illegal character)" : `${JSON.stringify(legal)}… (shown up to its first illegal character)`
}

/** Why a header cannot be sent, or `undefined` when it can. */
export const headerProblem = (name: string, value: string): string | undefined => {
  const key = name.toLowerCase()
  if (!LEGAL_NAME.test(key)) {
    return `header name ${shownName(name)} may contain only ASCII letters, digits, "-", "_" and "."`
  }
  if (key.endsWith("-bin")) {
    return `header name ${JSON.stringify(name)} ends in "-bin", which gRPC reserves for binary values`
  }
  // Lost without a word by any object it is put in (assigning it sets the prototype).
  if (key === "__proto__") return `header name "__proto__" cannot be used`
  if (key.startsWith("grpc-")) return `header name ${JSON.stringify(name)} starts with "grpc-", which gRPC reserves`
  if (!LEGAL_VALUE.test(value)) {
    return `the value of header ${JSON.stringify(name)} may contain only printable ASCII characters (no line breaks, tabs or non-ASCII)`
  }
  return undefined
}

/** The longest delay Node's timers take (2^31−1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MILLIS = 2_147_483_647
