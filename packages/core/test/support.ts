import { ConfigProvider, Effect } from "effect"
import { TestLogger } from "../src/index.js"

/** Runs `self` with `env` as the only environment and collects the log lines it writes. */
export const withEnv = <A, E>(env: Record<string, string>, self: Effect.Effect<A, E>) => {
  const capture = TestLogger.make()
  return self.pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide(capture.layer),
    Effect.map((value) => ({ value, lines: capture.lines }))
  )
}
