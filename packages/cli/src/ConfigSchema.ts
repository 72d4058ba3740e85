/**
 * `lingo-obs config schema [--out file]`: the JSON Schema of the config file, generated from the
 * config's Effect Schema (the same document `@lingo-obs/core/config.schema.json` ships). Without
 * `--out` it is printed.
 *
 * @example
 * ```sh
 * npx lingo-obs config schema --out observability.schema.json
 * # then, first line of the YAML config:  # yaml-language-server: $schema=./observability.schema.json
 * ```
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as ConfigSchema from "@lingo-obs/core/ConfigSchema"
import type { Output } from "./internal/output.js"

export const run = (out: string | undefined, output: Output): number => {
  const text = ConfigSchema.text()
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
