import { AsyncLocalStorage } from "node:async_hooks"
import { type Context, type ContextManager, ROOT_CONTEXT } from "@opentelemetry/api"

/**
 * The OpenTelemetry context manager while the Tracing layer is open: AsyncLocalStorage, as the
 * SDK's own, plus `enter`, which makes a context active for the rest of the current execution
 * without wrapping it in a callback. Effect asks its tracer for the context of every operation a
 * fiber runs; entering the fiber's span only when it differs from the active one keeps that
 * cost to a comparison instead of an `AsyncLocalStorage.run` per operation.
 */
/**
 * Marks contexts that are the tracer's own (its spans stand in for their contexts), so that
 * `enter` need not remember them one by one.
 */
export const FIBER_CONTEXT: unique symbol = Symbol.for("@lingo-obs/tracing/FiberContext")

const isOwn = (context: Context): boolean => (context as unknown as Record<symbol, unknown>)[FIBER_CONTEXT] === true

export class FiberContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>()
  /** Contexts made by `enter`, so that a fiber without a span can leave them. */
  private readonly entered = new WeakSet<Context>()
  /**
   * The context `enter` made active, trusted until the current synchronous run ends: a fiber's
   * operations between two yields run without an async boundary, so only `enter` changes the
   * store meanwhile, and asking AsyncLocalStorage for it at every operation is the cost saved.
   */
  private lastEntered: Context | undefined
  private turnValid = false
  private readonly endTurn = () => {
    this.turnValid = false
  }

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT
  }

  with<A extends Array<unknown>, F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const callback = thisArg === undefined ? fn : fn.bind(thisArg)
    // A fiber may run inside `fn`; what `enter` trusted no longer holds once `run` restores the store.
    this.turnValid = false
    try {
      return this.storage.run(context, callback as never, ...args) as ReturnType<F>
    } finally {
      this.turnValid = false
    }
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== "function") return target
    const manager = this
    const bound = function(this: unknown, ...args: Array<unknown>) {
      return manager.with(context, () => (target as (...a: Array<unknown>) => unknown).apply(this, args))
    }
    return bound as T
  }

  /** Whether what `enter` / `leave` last did still holds (same synchronous run, no `with` since). */
  trusted(): boolean {
    return this.turnValid
  }

  /** Makes `context` active for the rest of the current execution (the fiber's operation). */
  enter(context: Context): void {
    if (this.turnValid && this.lastEntered === context) return
    if (this.storage.getStore() !== context) {
      if (!isOwn(context)) this.entered.add(context)
      this.storage.enterWith(context)
    }
    this.trust(context)
  }

  /** Leaves a context made active by `enter` (a fiber without a span runs next). */
  leave(): void {
    if (this.turnValid && this.lastEntered === undefined) return
    const current = this.storage.getStore()
    if (current !== undefined && (isOwn(current) || this.entered.has(current))) this.storage.enterWith(ROOT_CONTEXT)
    this.trust(undefined)
  }

  private trust(context: Context | undefined) {
    this.lastEntered = context
    if (this.turnValid) return
    this.turnValid = true
    queueMicrotask(this.endTurn)
  }

  enable(): this {
    return this
  }

  disable(): this {
    this.storage.disable()
    return this
  }
}
