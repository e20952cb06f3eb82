// `mycase app` for one test: started on a port of its own, stopped after.
import { spawnMycase } from './cli.mjs';

/// Starts `mycase app --no-browser --json --port 0` on HOME; resolves once it
/// printed its URL (it binds before printing, so the URL answers at once).
export async function startApp(home, extraArgs = []) {
  const proc = spawnMycase(home, ['app', '--no-browser', '--json', '--port', '0', ...extraArgs]);
  const line = await proc.line((l) => l.trim().startsWith('{'));
  const { url, port } = JSON.parse(line);
  const origin = new URL(url).origin;
  return { url, port, origin, proc, stop: () => proc.stop() };
}
