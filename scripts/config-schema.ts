/**
 * Writes the JSON Schema of the config file, generated from the `ObservabilityConfig` Effect
 * Schema, to `schema/observability-config.schema.json`. Run it after changing the config Schema;
 * a test fails while the committed file is out of date.
 *
 *   pnpm config:schema
 */
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as ConfigSchema from "../packages/core/src/config/ConfigSchema.js"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")
const file = Path.join(root, ConfigSchema.FILE)
await Fs.mkdir(Path.dirname(file), { recursive: true })
await Fs.writeFile(file, ConfigSchema.text())
process.stdout.write(`wrote ${ConfigSchema.FILE}\n`)
