/** The app of a `zero` target (`zero` of the current app, or `app:zero`), or undefined for any other target. */
export function zeroTargetApp(target: string, app: string): string | undefined {
  if (target === 'zero') return app;
  const match = /^([^:]+):zero$/.exec(target);
  return match ? match[1] : undefined;
}
