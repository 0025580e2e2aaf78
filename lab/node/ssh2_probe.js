// Copyright (c) fleetcrypto.sftp contributors
// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// One ssh2 (npm) client connection to HOST:PORT for fleetcrypto.sftp's lab, then one JSON line on stdout:
//   {"ok": true, "negotiated": {kex, host_key, cipher_c2s, ...}}   the key exchange completed ('handshake' event)
//   {"ok": false, "error": "...", "level": "..."}                   it did not (ssh2's own error message)
//
//   node ssh2_probe.js HOST PORT [ALGORITHMS_JSON]
//
// ALGORITHMS_JSON is ssh2's Client.connect() "algorithms" option ({"kex": [...], "serverHostKey": [...],
// "cipher": [...], "hmac": [...], "compress": [...]}); without it the library's defaults apply. Authentication is
// not attempted beyond "none"; the host key is accepted; ssh2's own readyTimeout (20 s) applies, and the whole
// attempt is bounded by 30 s.
'use strict';

const { Client } = require('ssh2');

const [host, port, algorithmsJson] = process.argv.slice(2);
let done = false;
let negotiated = null;

function report(result) {
  if (done)
    return;
  done = true;
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

const client = new Client();
client.on('handshake', (info) => {
  negotiated = {
    kex: info.kex,
    host_key: info.serverHostKey,
    cipher_c2s: info.cs.cipher,
    cipher_s2c: info.sc.cipher,
    // '' when the cipher brings its own MAC (kex.js: CIPHER_INFO[...].authLen > 0)
    mac_c2s: info.cs.mac || null,
    mac_s2c: info.sc.mac || null,
    compression_c2s: info.cs.compress,
    compression_s2c: info.sc.compress,
  };
  report({ ok: true, negotiated });
});
client.on('error', (err) => {
  if (negotiated)
    report({ ok: true, negotiated });
  else
    report({ ok: false, error: String(err && err.message), level: err && err.level });
});
client.on('close', () => report(negotiated ? { ok: true, negotiated }
                                           : { ok: false, error: 'connection closed', level: 'close' }));

const options = {
  host,
  port: Number(port),
  username: 'probe',
  hostVerifier: () => true,
  tryKeyboard: false,
};
if (algorithmsJson)
  options.algorithms = JSON.parse(algorithmsJson);
setTimeout(() => report({ ok: false, error: 'timeout', level: 'timeout' }), 30000).unref();
client.connect(options);
