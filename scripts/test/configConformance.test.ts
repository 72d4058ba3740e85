/**
 * The Effect 3 line's half of the config conformance check: the shared cases
 * (packages/lingo-obs/test/fixtures/config-cases.json) decode on this line to exactly the recorded
 * outcomes. The Effect 4 line checks the same file in its own run (vitest 5 on Node 24), so both
 * lines decode every case alike. The check lives here because a test file under packages/lingo-obs
 * would resolve that package's Effect 4 and vitest 5.
 *
 * After a deliberate change of the config model, rewrite the outcomes with
 * `UPDATE_CONFIG_CASES=1 npx vitest run scripts/test/configConformance.test.ts` and review the diff.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Schema } from "effect"
import { Config, ConfigSource } from "../../packages/core/src/index.js"

const CASES = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../packages/lingo-obs/test/fixtures/config-cases.json")

interface Case {
  readonly name: string
  /** The Schema's input as data, or */
  readonly input?: unknown
  /** a config file's text. */
  readonly yaml?: string
  expected?: Outcome
}
type Outcome =
  | { readonly decoded: unknown }
  | { readonly issues: ReadonlyArray<{ readonly path: string; readonly message: string }> }

/** An issue's message without the value it may echo (`, got "abc"`, `, actual 5`): the lines agree on the expectation. */
const withoutEcho = (message: string) => message.replace(/,\s+(actual|got)\s[\s\S]*$/, "")

/** The case's input: its data, or its file text as this line's `parseText` reads it. */
const inputOf = (entry: Case) => entry.yaml === undefined ? Effect.succeed(entry.input) : ConfigSource.parseText(entry.yaml)

const outcomeOf = (entry: Case): Effect.Effect<Outcome> =>
  Effect.exit(Effect.flatMap(inputOf(entry), (input) => ConfigSource.decode(input))).pipe(Effect.map((exit): Outcome => {
    if (Exit.isSuccess(exit)) return { decoded: Schema.encodeSync(Config.ObservabilityConfig)(exit.value) }
    if (exit.cause._tag !== "Fail") throw new Error(`decode died: ${String(exit.cause)}`)
    return {
      issues: exit.cause.error.issues
        .map((issue) => ({ path: issue.path, message: withoutEcho(issue.message) }))
        .sort((a, b) => a.path.localeCompare(b.path) || a.message.localeCompare(b.message))
    }
  }))

const file = JSON.parse(Fs.readFileSync(CASES, "utf8")) as { about: string; cases: Array<Case> }

describe("config conformance, Effect 3 line", () => {
  if (process.env["UPDATE_CONFIG_CASES"] === "1") {
    it.effect("rewrites the recorded outcomes", () =>
      Effect.gen(function*() {
        for (const entry of file.cases) entry.expected = yield* outcomeOf(entry)
        Fs.writeFileSync(CASES, JSON.stringify(file, null, 2) + "\n")
      }))
    return
  }
  for (const entry of file.cases) {
    it.effect(entry.name, () =>
      Effect.gen(function*() {
        expect(entry.expected).toBeDefined()
        expect(yield* outcomeOf(entry)).toEqual(entry.expected)
      }))
  }
})
