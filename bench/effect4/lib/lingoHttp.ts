/**
 * The lingo-obs variant's server: until `lingo-obs/http` exists on this branch, the routes are
 * served like the others and traced by the platform's own server tracer, exported by lingo-obs.
 */
import type * as Layer from "effect/Layer"
import { HttpRouter } from "effect/http"

export const serve = (routes: Layer.Layer<never, never, HttpRouter.HttpRouter>) =>
  HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true })
