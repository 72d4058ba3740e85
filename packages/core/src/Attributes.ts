/**
 * Effect values (span attributes, log annotations) as OpenTelemetry attribute values: what
 * OpenTelemetry represents natively passes as it is, anything else becomes readable text.
 *
 * @example
 * ```ts
 * Attributes.primitive(42n) // "42"
 * Attributes.toAttributeValue({ id: 1 }) // '{"id":1}'
 * ```
 */
import type { AttributeValue } from "@opentelemetry/api"
import * as Inspectable from "effect/Inspectable"

/** A string, number or boolean as it is, a bigint as its digits; `undefined` for anything else. */
export const primitive = (value: unknown): string | number | boolean | undefined => {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value
    case "bigint":
      return value.toString()
    default:
      return undefined
  }
}

const isArrayOf = <T extends "string" | "number" | "boolean">(value: unknown, type: T): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === type)

/** A span attribute value: primitives and homogeneous arrays of them as they are, the rest as text. */
export const toAttributeValue = (value: unknown): AttributeValue =>
  primitive(value) ??
    (isArrayOf(value, "string") || isArrayOf(value, "number") || isArrayOf(value, "boolean")
      ? value as AttributeValue
      : Inspectable.toStringUnknown(value))
