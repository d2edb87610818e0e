/** Progress and diagnostics go to stderr, so that --json output on stdout stays machine-readable. */
export interface Log {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
}

export function stderrLog(opts: { verbose?: boolean; quiet?: boolean } = {}): Log {
  const stamp = () => new Date().toISOString().slice(11, 19);
  return {
    info: (m) => {
      if (!opts.quiet) process.stderr.write(`[${stamp()}] ${m}\n`);
    },
    warn: (m) => process.stderr.write(`[${stamp()}] warning: ${m}\n`),
    debug: (m) => {
      if (opts.verbose) process.stderr.write(`[${stamp()}] ${m}\n`);
    },
  };
}

export const silentLog: Log = { info() {}, warn() {}, debug() {} };
