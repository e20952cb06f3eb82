// A second device for the journeys: the CLI paired with a journal by the CLI
// (`mycase pair --json` on one home, `mycase join` on a fresh one).
import path from 'node:path';
import { env, freshDir } from './env.mjs';
import { spawnMycase } from './cli.mjs';

/// Pairs a new CLI device named NAME with the journal in HOME (nothing else may
/// hold HOME meanwhile: start the app after); returns the new device's home.
export async function pairCli(home, name) {
  const pairing = spawnMycase(home, ['pair', '--json']);
  const { code } = JSON.parse(await pairing.line((l) => l.includes('"code"')));
  return joinWithCode(code, name, async (digits) => {
    await pairing.line((l) => l.includes('join_request'), 120_000);
    pairing.child.stdin.write(`${digits}\n`);
    const paired = await pairing.line((l) => l.includes('"paired"'), 120_000);
    if ((await pairing.exited) !== 0) throw new Error(`mycase pair failed: ${pairing.stderr()}`);
    return JSON.parse(paired);
  });
}

/// Starts `mycase join --code CODE` on a fresh home. Its `digits()` are the
/// matching digits it shows (once the other side took its request), `joined()`
/// resolves with the new home once it is in.
export function startJoin(code, name) {
  const home = path.join(freshDir(name), 'home');
  const joining = spawnMycase(home, ['join', '--server', env.serverUrl, '--ca-cert', env.caCert, '--code', code, '--device-name', name, '--json']);
  return {
    home,
    async digits() {
      return JSON.parse(await joining.line((l) => l.includes('matching_code'), 120_000)).matching_code;
    },
    async joined() {
      if ((await joining.exited) !== 0) throw new Error(`mycase join failed: ${joining.stderr()}`);
      return home;
    },
  };
}

/// `mycase join --code CODE` on a fresh home; `confirm(digits)` types the
/// matching digits on the other side. Returns the new home once joined.
export async function joinWithCode(code, name, confirm) {
  const joining = startJoin(code, name);
  await confirm(await joining.digits());
  return joining.joined();
}
