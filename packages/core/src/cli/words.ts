// What the CLI's commands say, in one place.

/**
 * The command as a user would recognize it in a message: as typed, or, when
 * that is long, the program by its name, not the path it was found at
 * (`node.exe`, not `Z:\\...\\node.exe`), so a long install path cannot push
 * the arguments out of a 60-character line.
 */
export function describeCommand(command: string[]): string {
  const [program = '', ...args] = command;
  // As typed when it fits (`/nonexistent/cmd` is not `cmd`); else by its name.
  const typed = command.join(' ');
  if (typed.length <= 60) return typed;
  const text = [program.split(/[\\/]/).pop() || program, ...args].join(' ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A one-line explanation when the FFI library (koffi) is missing, else undefined. */
export function ffiMissing(error: unknown): string | undefined {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'MODULE_NOT_FOUND' && /koffi/.test(e.message)) {
    return "koffi, the native library jobslot uses to read and write the jobserver, is not installed (was it installed with --omit=optional?): reinstall @jobslot/core with its optional dependencies";
  }
  // Already says the fix (ffi/load.ts).
  if (/reinstall @jobslot\/core/.test(e?.message ?? '')) return e.message;
  if (/koffi/i.test(e?.message ?? '') && /binary|\.node|prebuilt/i.test(e?.message ?? '')) {
    return `koffi cannot load its native binary on this platform (${process.platform}-${process.arch}): ${e.message.split('\n')[0]}`;
  }
  return undefined;
}

/** What make says at the end of a run when tokens went missing or multiplied. */
export function reportReturns(counts: { lost: number; extra?: number }, given: number, command: string[]): void {
  if (counts.lost > 0) {
    process.stderr.write(`jobslot: ${counts.lost} of ${given} job tokens were not returned (lost by ${describeCommand(command)})\n`);
  }
  if (counts.extra) {
    process.stderr.write(`jobslot: ${counts.extra} more job tokens came back than were given out (${given}): something beneath ${describeCommand(command)} wrote tokens it never took\n`);
  }
}
