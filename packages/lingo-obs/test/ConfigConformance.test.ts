/**
 * The Effect 4 line's half of the config conformance check: every shared case
 * (fixtures/config-cases.json, outcomes recorded from the Effect 3 line and checked against it by
 * scripts/test/configConformance.test.ts) decodes here to the same config, or fails with the same
 * field paths and expectations.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as Config from "../src/config/Config.js"
import * as ConfigSource from "../src/config/ConfigSource.js"

interface Issue {
  readonly path: string
  readonly message: string
}
type Outcome = { readonly decoded: unknown } | { readonly issues: ReadonlyArray<Issue> }

const CASES = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "fixtures/config-cases.json")
/** A case's input is data in the Schema's shape (`input`) or a config file's text (`yaml`). */
interface Case {
  readonly name: string
  readonly input?: unknown
  readonly yaml?: string
  readonly expected: Outcome
}
const { cases } = JSON.parse(Fs.readFileSync(CASES, "utf8")) as { readonly cases: ReadonlyArray<Case> }

/**
 * An issue's message without the kind of value it got (`, got a string`): the Effect 3 fixtures
 * record the expectation only, as the Effect 3 line's conformance script does.
 */
const withoutKind = (message: string) => message.replace(/,\s+(actual|got)\s[\s\S]*$/, "")

const sameProblem = (effect4: Issue, effect3: Issue): boolean =>
  effect4.path === effect3.path && withoutKind(effect4.message) === effect3.message

/** The case's input: its data, or its file text as this line's `parseText` reads it. */
const inputOf = (entry: Case) => entry.yaml === undefined ? Effect.succeed(entry.input) : ConfigSource.parseText(entry.yaml)

const outcomeOf = (entry: Case): Effect.Effect<Outcome> =>
  Effect.exit(Effect.flatMap(inputOf(entry), (input) => ConfigSource.decode(input))).pipe(Effect.map((exit): Outcome => {
    if (Exit.isSuccess(exit)) return { decoded: Schema.encodeSync(Config.ObservabilityConfig)(exit.value) }
    const error = exit.cause.reasons[0]
    if (error?._tag !== "Fail") throw new Error("decode died")
    return {
      issues: [...error.error.issues].sort((a, b) => a.path.localeCompare(b.path) || a.message.localeCompare(b.message))
    }
  }))

describe("config conformance, Effect 4 line", () => {
  it("has cases of both kinds", () => {
    expect(cases.filter((entry) => "decoded" in entry.expected).length).toBeGreaterThanOrEqual(5)
    expect(cases.filter((entry) => "issues" in entry.expected).length).toBeGreaterThanOrEqual(5)
    expect(cases.filter((entry) => entry.yaml !== undefined).length).toBeGreaterThanOrEqual(5)
  })
  for (const entry of cases) {
    it.effect(entry.name, () =>
      Effect.gen(function*() {
        const outcome = yield* outcomeOf(entry)
        if ("decoded" in entry.expected) return expect(outcome).toEqual(entry.expected)
        if (!("issues" in outcome)) return expect.fail(`decoded, but the Effect 3 line fails: ${JSON.stringify(entry.expected)}`)
        const expected = entry.expected.issues
        expect(outcome.issues.map((issue) => issue.path)).toEqual(expected.map((issue) => issue.path))
        outcome.issues.forEach((issue, index) => {
          if (!sameProblem(issue, expected[index]!)) expect(issue).toEqual(expected[index])
        })
      }))
  }
})
