/**
 * Helia 7's dependencies call Promise.withResolvers (ES2024, Node >= 22). MedChain runs on Node 20,
 * so the HeliaBlobStore installs the spec's behaviour (ECMA-262 §27.2.4.8) when it is missing.
 * Hand-written because it is five lines and no package is warranted.
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new this<T>((res, rej) => { resolve = res; reject = rej; });
      return { promise, resolve, reject };
    },
  });
}
export {};
