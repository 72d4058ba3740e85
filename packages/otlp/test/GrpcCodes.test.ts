/**
 * The status both lines' gRPC servers answer for a handler's outcome (`GrpcCodes.statusOf`): a
 * status error keeps its code and message, other failures and defects reveal nothing, an
 * interruption is CANCELLED or, past the deadline, DEADLINE_EXCEEDED.
 */
import { describe, expect, it } from "vitest"
import { GrpcCodes } from "../src/index.js"

const { Code, statusOf } = GrpcCodes
const never = () => false

describe("GrpcCodes.statusOf", () => {
  it("maps success to OK and a GrpcStatusError to its own code, message and error.type", () => {
    expect(statusOf({ _tag: "Success" }, never)).toEqual({ code: Code.OK, details: "OK", kind: "ok", errorType: undefined })
    const error = { _tag: "GrpcStatusError", code: Code.NOT_FOUND, message: "no such user" }
    expect(statusOf({ _tag: "Failure", error }, never)).toMatchObject({
      code: Code.NOT_FOUND,
      details: "no such user",
      kind: "status",
      errorType: "NOT_FOUND"
    })
  })

  it("answers UNKNOWN for another failure and INTERNAL for a defect, without their messages", () => {
    const failure = statusOf({ _tag: "Failure", error: { _tag: "Ledger", secret: "hunter2" } }, never)
    expect(failure).toEqual({ code: Code.UNKNOWN, details: "Unknown error", kind: "failure", errorType: "Ledger" })
    const defect = statusOf({ _tag: "Defect", defect: new TypeError("db password is hunter2") }, never)
    expect(defect).toEqual({ code: Code.INTERNAL, details: "Internal error", kind: "defect", errorType: "TypeError" })
    expect(JSON.stringify([failure, defect])).not.toContain("hunter2")
  })

  it("answers CANCELLED for an interruption, DEADLINE_EXCEEDED once the deadline has passed", () => {
    expect(statusOf({ _tag: "Interrupted" }, never)).toMatchObject({ code: Code.CANCELLED, kind: "interrupted", errorType: "CANCELLED" })
    expect(statusOf({ _tag: "Interrupted" }, () => true)).toMatchObject({ code: Code.DEADLINE_EXCEEDED, errorType: "DEADLINE_EXCEEDED" })
  })
})
