/**
 * Resolves on the first SIGINT or SIGTERM. Listening replaces the default action (exit by the signal), so call it
 * before starting anything that must be stopped cleanly: a signal that arrives during start-up then stops the
 * command once it has started.
 */
export function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
