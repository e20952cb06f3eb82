// What the Rust runner passes in: the binaries, the server and where to write.
import path from 'node:path';
import fs from 'node:fs';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the suite through \`cargo test -p mycase-cli --test it app_browser\``);
  }
  return value;
}

export const env = {
  get bin() { return required('MYCASE_BIN'); },
  get serverUrl() { return required('MYCASE_SERVER_URL'); },
  get caCert() { return required('MYCASE_CA_CERT'); },
  get work() { return required('MYCASE_WORK'); },
  get screenshots() {
    const dir = process.env.MYCASE_SCREENSHOTS || path.join(this.work, 'screenshots');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  },
};

/// A fresh folder under the run's work folder.
export function freshDir(name) {
  const dir = fs.mkdtempSync(path.join(env.work, `${name}-`));
  return dir;
}
