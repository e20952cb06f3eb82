// The `mycase` CLI as a second device: runs a command and returns its output.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { env } from './env.mjs';

const run = promisify(execFile);
export const PASS = 'correct horse battery staple';

function cliEnv(extra = {}) {
  const e = { ...process.env, MYCASE_PASSPHRASE: PASS, ...extra };
  for (const name of ['MYCASE_HOME', 'MYCASE_INVITE', 'MYCASE_SHARE_PASSWORD', 'MYCASE_RECOVERY_KIT', 'EDITOR']) {
    if (!(name in extra)) delete e[name];
  }
  return e;
}

/// Runs `mycase --home HOME ARGS...`; throws with its stderr if it fails.
export async function mycase(home, args, extraEnv = {}) {
  try {
    const { stdout } = await run(env.bin, ['--home', home, ...args], {
      env: cliEnv(extraEnv),
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (e) {
    throw new Error(`mycase ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

export async function mycaseJson(home, args, extraEnv = {}) {
  return JSON.parse(await mycase(home, [...args, '--json'], extraEnv));
}

/// Starts `mycase ARGS...` and hands back the process (its stdout lines as they come).
export function spawnMycase(home, args, extraEnv = {}) {
  const child = spawn(env.bin, ['--home', home, ...args], {
    env: cliEnv(extraEnv),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines = [];
  const waiters = [];
  let buffer = '';
  child.stdout.on('data', (chunk) => {
    buffer += chunk.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.splice(0)) w();
    }
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk.toString(); });
  const exited = new Promise((resolve) => child.on('exit', (code) => { for (const w of waiters.splice(0)) w(); resolve(code); }));
  return {
    child,
    exited,
    stderr: () => stderr,
    /// The next stdout line that `match` accepts (waits for it; fails if the process ends).
    async line(match = () => true, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let seen = 0;
      for (;;) {
        for (; seen < lines.length; seen++) {
          if (match(lines[seen])) { const l = lines[seen]; lines.splice(0, seen + 1); return l; }
        }
        if (child.exitCode !== null) throw new Error(`mycase ${args.join(' ')} ended (${child.exitCode}) without the expected line: ${stderr}`);
        if (Date.now() > deadline) throw new Error(`mycase ${args.join(' ')}: no expected line in ${timeoutMs} ms: ${stderr}`);
        await new Promise((resolve) => { waiters.push(resolve); setTimeout(resolve, 250); });
      }
    },
    stop() { if (child.exitCode === null) child.kill('SIGTERM'); return exited; },
  };
}
