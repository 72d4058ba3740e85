/**
 * The start-up check that the app's `effect` is one this toolkit supports. Every package's
 * published entry runs it before it loads any module that imports `effect`: an ES module graph is
 * resolved whole before any of it runs, so on Effect 4 a deep import such as `effect/FiberRef`
 * would otherwise fail first, with an `ERR_MODULE_NOT_FOUND` naming a file in `effect/dist`.
 *
 * This module therefore imports nothing from `effect` (nor anything that does): the engine's
 * `EffectVersion` reads `effect/package.json`, which every Effect version exports.
 *
 * @example
 * ```ts
 * import { assertSupported } from "@lingo-obs/core/EffectVersion"
 *
 * assertSupported("@lingo-obs/observability") // on Effect 4 throws UnsupportedEffectError naming lingo-obs
 * const { ObservabilityLive } = await import("@lingo-obs/observability")
 * ```
 */
import { createRequire } from "node:module"
import * as Line from "@lingo-obs/otlp/EffectVersion"

const require = createRequire(import.meta.url)

/** The `effect` range of `@lingo-obs/core`'s `peerDependencies`: the one place the supported line is written. */
export const supportedRange: string = (require("../package.json") as {
  readonly peerDependencies: Readonly<Record<string, string>>
}).peerDependencies["effect"]!

/** What to run to get onto the supported line: the Effect 3 packages a service installs beside the toolkit. */
export const INSTALL_COMMAND = Line.LINES[3]!.install

/** The app's `effect`: its version and where it is installed; `undefined` when it is not installed. */
export type Installed = Line.Installed

/** The `effect` that `from` (a file path or URL; default: this package) would load. */
export const installed = (from: string | URL = import.meta.url): Installed | undefined => Line.installed(from)

/**
 * Whether `version` satisfies a caret range (`^3.22.0`: same major, at least that minor and
 * patch), the only form the toolkit's peer ranges use. A pre-release of the minimum is not enough.
 */
export const satisfies: (version: string, range: string) => boolean = Line.satisfies

/**
 * The app's `effect` is missing or outside the supported range. Its message is one line; on
 * Effect 4 it names `lingo-obs`, the toolkit's package for Effect 4.
 */
export class UnsupportedEffectError extends Error {
  readonly _tag = "UnsupportedEffectError"
  constructor(
    readonly loadedBy: string,
    readonly found: Installed | undefined,
    readonly supported: string
  ) {
    super(Line.problem(loadedBy, supported, found) ?? `${loadedBy} needs effect ${supported}`)
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
