import { createRequire } from "node:module"

/**
 * Loads a dependency the first time a feature needs it, so that a program pays the module
 * loading only for what its config uses (start-up time is one of the toolkit's targets).
 * Each package keeps its own: `createRequire` resolves from the file's own package, whose
 * dependencies are the ones it may load.
 */
export const requireModule: (id: string) => unknown = createRequire(import.meta.url)
