/**
 * `lingo-obs config schema [--out file]`: the JSON Schema of the config file — the same document
 * as the Effect 3 line's, since both lines read the same fields. Without `--out` it is printed.
 *
 * @example
 * ```sh
 * npx lingo-obs config schema --out observability.schema.json
 * # then, first line of the YAML config:  # yaml-language-server: $schema=./observability.schema.json
 * ```
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as JsonSchema from "./internal/jsonSchema.js"
import type { Output } from "@lingo-obs/otlp/CommandLine"

export const run = (out: string | undefined, output: Output): number => {
  const text = JsonSchema.text()
  if (out === undefined) {
    output.stdout(text.trimEnd())
    return 0
  }
  const path = Path.resolve(out)
  Fs.mkdirSync(Path.dirname(path), { recursive: true })
  Fs.writeFileSync(path, text)
  output.stderr(`wrote ${out}`)
  return 0
}
