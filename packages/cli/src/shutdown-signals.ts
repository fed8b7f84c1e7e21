/**
 * Ctrl-C for long-running commands (`watch`, `register --ttl`): the first SIGINT/SIGTERM asks
 * the command to stop cleanly; a second one, while it is still cleaning up, ends the process
 * at once with 130. While the handlers are installed the process stays alive: the library's
 * timers (lease renewals, watch backoff) are unref'd and would not keep it running.
 */
import { ExitCode } from './exit-code.js';

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** A stop request by signal; `dispose()` removes the handlers (Node's default behaviour returns). */
export interface ShutdownSignals extends Disposable {
  /** Aborted by the first SIGINT or SIGTERM; its reason is the signal name. */
  readonly signal: AbortSignal;
}

/**
 * Installs the SIGINT/SIGTERM handlers and keeps the process alive until disposed. `command`
 * names the command in the "exiting now" line.
 */
export function shutdownSignals(command: string): ShutdownSignals {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      controller.abort(name);
      return;
    }
    process.stderr.write(`roster ${command}: ${name} again, exiting now\n`);
    process.exit(ExitCode.Interrupted);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  const keepAlive = setInterval(() => {}, 1 << 30);
  return {
    signal: controller.signal,
    [Symbol.dispose]: () => {
      clearInterval(keepAlive);
      for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}
