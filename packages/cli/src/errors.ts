/**
 * Exit codes and the errors that carry them. Every command throws; `main` turns the error
 * into one message on stderr (or a JSON object on stdout with --json) and the exit code.
 */

/** 0: done; 1: the work failed; 2: a usage or configuration error; 130: interrupted (Ctrl-C). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error with the exit code it should end the process with. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** A line that tells the user what to do about it. */
  readonly hint: string | undefined;

  constructor(
    message: string,
    options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? EXIT.failure;
    this.hint = options.hint;
  }
}

/** A bad command line or run config (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.usage, hint });
    this.name = 'UsageError';
  }
}

/** Training or another long job was stopped by SIGINT / SIGTERM after saving its state. */
export class InterruptedError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.interrupted, hint });
    this.name = 'InterruptedError';
  }
}
