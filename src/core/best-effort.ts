/**
 * The one way this code base ignores a failure on purpose. Every use names why ignoring is safe,
 * so a reader never meets a bare `.catch(() => undefined)` and wonders what was swallowed.
 */

/**
 * Settles a promise whose failure the caller has chosen not to act on, and says why in `reason`
 * (read by people, not code). Use only where a failure leaves nothing to undo or report: freeing
 * what is being thrown away, or ordering a queue whose callers get their own rejections.
 *
 * @example
 * await bestEffort(oldSession.dispose(), 'the session is being replaced; a failed free only leaks it');
 */
export async function bestEffort(promise: Promise<unknown>, reason: string): Promise<void> {
  void reason; // documentation at the call site; nothing reads it
  try {
    await promise;
  } catch {
    // Ignored on purpose: see `reason`.
  }
}

/**
 * The value of `promise`, or `fallback` when it fails, for a look-up whose failure means the same
 * as "nothing there" to the caller; `reason` says why (read by people, not code).
 *
 * @example
 * await bestEffortValue(caches.match(url), undefined, 'an unreadable cache counts as not cached');
 */
export async function bestEffortValue<T, F>(
  promise: Promise<T>,
  fallback: F,
  reason: string,
): Promise<T | F> {
  void reason; // documentation at the call site; nothing reads it
  try {
    return await promise;
  } catch {
    return fallback; // Ignored on purpose: see `reason`.
  }
}
