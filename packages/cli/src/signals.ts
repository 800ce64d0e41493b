/**
 * Ctrl-C during long work: the first SIGINT (or SIGTERM) asks the work to stop at the next safe
 * point (training: after the current step, with a checkpoint); a second one exits at once
 * (checkpoints are written atomically, so even then none is left torn).
 */
import type { StopFlag } from './batches.js';
import { EXIT } from './errors.js';
import type { Output } from './output.js';

/** Installs the handlers; returns the flag and a function that removes them. */
export function stopOnSignals(
  out: Output,
  what = 'training',
): { stop: StopFlag; dispose: () => void } {
  const stop: StopFlag = { requested: false };
  const handler = (signal: NodeJS.Signals) => {
    if (stop.requested) {
      out.stderr.write(`\n${signal} again: exiting now\n`);
      process.exit(EXIT.interrupted);
    }
    stop.requested = true;
    out.stderr.write(
      `\n${signal}: stopping ${what} after the current step and writing a checkpoint (press Ctrl-C again to quit at once)\n`,
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stop,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
