/**
 * What a plugin reports from a hook, for the person running Covet: `context.report.warn(...)`
 * and `context.report.info(...)`. The CLI prints each line with the plugin's name
 * (`warning: <message> (plugin "<name>")`) and `--json` documents list them in `reports`.
 * Throwing is how a plugin stops a run; reporting never does.
 */
export interface Reporter {
  /** Something the user should look at; the run goes on. */
  warn(message: string): void;
  /** Something worth knowing. */
  info(message: string): void;
}

/** One line a plugin reported. */
export interface ReportLine {
  readonly level: 'warn' | 'info';
  /** The plugin whose tap reported it (the plugin being applied when the tap was added). */
  readonly plugin: string;
  /** The hook the tap was on. */
  readonly hook: string;
  readonly message: string;
}

/** A reporter that hands each line to `sink` under `plugin` and `hook`. */
export function createReporter(sink: (line: ReportLine) => void, plugin: string, hook: string): Reporter {
  const line = (level: ReportLine['level'], message: unknown) => sink({ level, plugin, hook, message: String(message).split(/\r?\n/).join(' ') });
  return Object.freeze({ warn: (message: string) => line('warn', message), info: (message: string) => line('info', message) });
}
