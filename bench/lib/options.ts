/**
 * The command line of `pnpm bench [effect3|effect4] [--quick] [--runs N] [--profile] [scenario...]`,
 * shared by both lines' orchestrators: a line name picks that line only (both by default); a
 * scenario id or name prefix picks scenarios within the lines run.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { ROOT } from "./child.js"

const argv = process.argv.slice(2).filter((arg) => arg !== "--")
const flag = (name: string) => argv.includes(name)
const option = (name: string): string | undefined => {
  const index = argv.indexOf(name)
  return index >= 0 ? argv[index + 1] : undefined
}

export const quick = flag("--quick")
export const profile = flag("--profile")
const runsOverride = option("--runs") === undefined ? undefined : Number(option("--runs"))

export const LINES = ["effect3", "effect4"] as const
export type Line = (typeof LINES)[number]

const words = argv.filter((arg, index) => !arg.startsWith("--") && argv[index - 1] !== "--runs")
const lineWords = words.filter((word): word is Line => (LINES as ReadonlyArray<string>).includes(word))
/** The scenario filters (ids or name prefixes); empty: every scenario. */
export const filters = words.filter((word) => !(LINES as ReadonlyArray<string>).includes(word))

/** Whether a line runs: named on the command line, or no line named. */
export const lineSelected = (line: Line): boolean => lineWords.length === 0 || lineWords.includes(line)

export interface Scenario {
  readonly id: string
  readonly name: string
}

const matches = (scenario: Scenario, filter: string) => filter === scenario.id || scenario.name.startsWith(filter)

/** Whether a scenario runs: no filter, or a filter naming it by id or name prefix. */
export const scenarioSelected = (scenario: Scenario): boolean =>
  filters.length === 0 || filters.some((filter) => matches(scenario, filter))

/** The filters that name no scenario of the lines run (a typo), given those lines' scenarios. */
export const unknownFilters = (scenarios: ReadonlyArray<Scenario>): Array<string> =>
  filters.filter((filter) => !scenarios.some((scenario) => matches(scenario, filter)))

/** Runs per variant: `full` in a full run, `quickRuns` with --quick, or --runs N. */
export const runs = (full: number, quickRuns: number): number => runsOverride ?? (quick ? quickRuns : full)

export const PROFILE_DIR = Path.join(ROOT, "bench", "profiles")
if (profile) Fs.mkdirSync(PROFILE_DIR, { recursive: true })
