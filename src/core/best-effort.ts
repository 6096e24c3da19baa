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
