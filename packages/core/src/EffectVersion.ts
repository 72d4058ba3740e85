/**
 * The start-up check that the app's `effect` is one this toolkit supports. Every package's
 * published entry runs it before it loads any module that imports `effect`: an ES module graph is
 * resolved whole before any of it runs, so on Effect 4 a deep import such as `effect/FiberRef`
 * would otherwise fail first, with an `ERR_MODULE_NOT_FOUND` naming a file in `effect/dist`.
 *
 * This module therefore imports nothing from `effect` (nor anything that does); it reads
 * `effect/package.json`, which every Effect version exports.
 *
 * @example
 * ```ts
 * import { assertSupported } from "@lingo-obs/core/EffectVersion"
 *
 * assertSupported("@lingo-obs/observability") // throws UnsupportedEffectError on Effect 4
 * const { ObservabilityLive } = await import("@lingo-obs/observability")
 * ```
 */
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

/** The `effect` range of `@lingo-obs/core`'s `peerDependencies`: the one place the supported line is written. */
export const supportedRange: string = (require("../package.json") as {
  readonly peerDependencies: Readonly<Record<string, string>>
}).peerDependencies["effect"]!

/** What to run to get onto the supported line: the Effect 3 packages a service installs beside the toolkit. */
export const INSTALL_COMMAND = "npm install effect@^3.22 @effect/platform@^0.97 @effect/platform-node@^0.108"

/** The app's `effect`: its version and where it is installed; `undefined` when it is not installed. */
export interface Installed {
  readonly version: string
  readonly path: string
}

/** The `effect` that `from` (a file path or URL; default: this package) would load. */
export const installed = (from: string | URL = import.meta.url): Installed | undefined => {
  try {
    const path = createRequire(from).resolve("effect/package.json")
    return { version: (require(path) as { readonly version: string }).version, path: path.replace(/[\\/]package\.json$/, "") }
  } catch {
    return undefined
  }
}

const numbers = (version: string): ReadonlyArray<number> | undefined => {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version)
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])]
}

/**
 * Whether `version` satisfies a caret range (`^3.22.0`: same major, at least that minor and
 * patch), the only form the toolkit's peer ranges use. A pre-release of the minimum is not enough.
 */
export const satisfies = (version: string, range: string): boolean => {
  const minimum = range.startsWith("^") ? numbers(range.slice(1)) : undefined
  if (minimum === undefined) throw new Error(`EffectVersion: unsupported range ${JSON.stringify(range)} (expected ^X.Y.Z)`)
  const actual = numbers(version)
  if (actual === undefined || actual[0] !== minimum[0]) return false
  for (const index of [1, 2]) {
    if (actual[index]! !== minimum[index]!) return actual[index]! > minimum[index]!
  }
  return !version.includes("-")
}

/** The app's `effect` is missing or outside the supported range. */
export class UnsupportedEffectError extends Error {
  readonly _tag = "UnsupportedEffectError"
  constructor(
    readonly loadedBy: string,
    readonly found: Installed | undefined,
    readonly supported: string
  ) {
    const what = found === undefined
      ? "effect is not installed"
      : `this app has effect ${found.version} (${found.path})`
    const line = found !== undefined && (numbers(found.version)?.[0] ?? 0) > 3
      ? " lingo-obs is built on the Effect 3 line and does not run on Effect 4 yet."
      : ""
    super(
      `${loadedBy} needs effect ${supported}, but ${what}.${line}\n` +
        `Install a supported version in your service: ${INSTALL_COMMAND}\n` +
        `(then \`npm ls effect\` should show a single effect@3 copy).`
    )
    this.name = "UnsupportedEffectError"
  }
}

/**
 * Throws `UnsupportedEffectError` unless the `effect` that `from` resolves is in the supported
 * range. `loadedBy` names the package being loaded, for the message.
 */
export const assertSupported = (loadedBy = "@lingo-obs/core", from: string | URL = import.meta.url): void => {
  const found = installed(from)
  if (found === undefined || !satisfies(found.version, supportedRange)) {
    throw new UnsupportedEffectError(loadedBy, found, supportedRange)
  }
}
