/**
 * The `OTEL_*` environment overlay read through Effect's `Config`, so that a `ConfigProvider`
 * decides where variables come from: the engine's `Environment` parses them and merges nothing;
 * its warnings (a value ignored, naming the variable and the value shown safely) go to the
 * Effect logger. It never stops startup.
 */
import * as EffectConfig from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Environment from "@lingo-obs/otlp/Environment"
import * as Diagnostics from "../Diagnostics.js"

export { LOG_FORMAT_VARIABLE, LOG_LEVEL_VARIABLE } from "@lingo-obs/otlp/Environment"

const readVariable = (name: string): Effect.Effect<string | undefined> =>
  EffectConfig.option(EffectConfig.string(name)).pipe(
    Effect.orElseSucceed(() => Option.none<string>()),
    Effect.map(Option.getOrUndefined)
  )

/** The value of every supported variable that is set, as the current `ConfigProvider` gives it. */
export const readVariables: Effect.Effect<ReadonlyMap<string, string>> = Effect.gen(function*() {
  const values = new Map<string, string>()
  for (const name of Environment.VARIABLES) {
    const value = yield* readVariable(name)
    if (value !== undefined) values.set(name, value)
  }
  return values
})

/** Reads every supported variable; the result has the shape of the config input, sparse. */
export const readEnvironment: Effect.Effect<Record<string, unknown>> = Effect.gen(function*() {
  const values = yield* readVariables
  const { input, warnings } = Environment.read((name) => values.get(name))
  for (const { message, variable } of warnings) {
    yield* Effect.logWarning(message).pipe(Diagnostics.annotate({ variable }))
  }
  return input
})
