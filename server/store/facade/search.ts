import type { Adapter } from '../contract/adapter.js';
import type { Subscription } from '../contract/types.js';

/** Search by tags (`store.search`), for `fnd` and for checking that a unique tag is free. */
export class Search {
  readonly #a: Adapter;

  constructor(adapter: Adapter) {
    this.#a = adapter;
  }

  /**
   * Users and group topics whose tags match: each set in `req` must match at least one tag, `opt`
   * tags add to the rank. Results are subscriptions (topic = `usr…` or topic name, `chn…` for
   * channels) with public, trusted, default access and the matched tags in `extra`, sorted by rank
   * (tags with `prefix` count most), then subscriber count; `caller` is left out.
   */
  find(caller: string, prefix: string, req: string[][], opt: string[], activeOnly: boolean): Promise<Subscription[]> {
    return this.#a.find(caller, prefix, req, opt, activeOnly);
  }

  /** The topic name or `usr…` id holding a tag, or ''. */
  findOne(tag: string): Promise<string> {
    return this.#a.findOne(tag);
  }
}
