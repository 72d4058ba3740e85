/**
 * What an item costs the store in memory, estimated from its contents: a string its length plus a
 * header (V8 keeps Latin-1 text at one byte a character, so text with other characters costs up
 * to twice the estimate), numbers and booleans a slot, objects and arrays a header plus a slot and
 * the key per entry. The walk is iterative, so no nesting depth can overflow the stack.
 */
const STRING_HEADER = 16
const OBJECT_HEADER = 32
const SLOT = 8

export const retainedBytes = (value: unknown): number => {
  let total = 0
  const pending: Array<unknown> = [value]
  while (pending.length > 0) {
    const current = pending.pop()
    if (typeof current === "string") total += STRING_HEADER + current.length
    else if (typeof current === "bigint") total += STRING_HEADER
    else if (current instanceof Uint8Array) total += OBJECT_HEADER + current.byteLength
    else if (Array.isArray(current)) {
      total += OBJECT_HEADER
      for (const item of current) {
        total += SLOT
        pending.push(item)
      }
    } else if (current !== null && typeof current === "object") {
      total += OBJECT_HEADER
      for (const key in current) {
        total += SLOT + STRING_HEADER + key.length
        pending.push((current as Record<string, unknown>)[key])
      }
    } else {
      total += SLOT
    }
  }
  return total
}
