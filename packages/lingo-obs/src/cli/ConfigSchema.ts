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
import * as JsonSchema from "./internal/jsonSchema.js"
import * as CommandLine from "@lingo-obs/otlp/CommandLine"

export const run = (out: string | undefined, output: CommandLine.Output): number =>
  CommandLine.printOrWrite(JsonSchema.text(), out, output)
