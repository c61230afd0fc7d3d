import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { runTinode } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { DEMO_KEY } from '../helpers/sdk.js';
import { serverPerTest } from '../helpers/server.js';

/**
 * TLS with certificate files: HTTPS with HSTS, and a certificate replaced on disk (a renewal) is
 * served to new connections without a restart; a pair that does not load leaves the one in use.
 */
const servers = serverPerTest();
const dir = mkdtempSync(join(tmpdir(), 'tinode-tls-'));

/** A self-signed certificate for 127.0.0.1 with the given common name. */
function makeCert(cn: string): { cert: string; key: string } {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1'], {
    stdio: 'ignore',
  });
  return { cert, key };
}

/** The common name of the certificate a new TLS connection gets. */
function servedName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject.CN;
      s.end();
      resolve(Array.isArray(cn) ? cn.join() : String(cn));
    });
    s.once('error', reject);
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HTTP redirected to HTTPS (tls.http_redirect)', () => {
  it('answers plain HTTP with a 307 to the same host and path over HTTPS on the server\'s port', async () => {
    const one = makeCert('redirect');
    const httpPort = await freePort();
    const srv = await servers.start({ tls: { enabled: true, cert_file: one.cert, key_file: one.key, http_redirect: `127.0.0.1:${httpPort}` } });
    const httpsPort = Number(srv.host.split(':').pop());
    const res = await fetch(`http://127.0.0.1:${httpPort}/v0/channels/lp?apikey=x`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe(`https://127.0.0.1:${httpsPort}/v0/channels/lp?apikey=x`);
    // A Host header that is not a host name is refused, not turned into a redirect elsewhere.
    const bad = await new Promise<number>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port: httpPort, path: '/', headers: { Host: 'evil.example/x' } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      }).once('error', reject);
    });
    expect(bad).toBe(400);
  });
});

describe('gRPC over TLS', () => {
  it('serves gRPC with the same certificate; tinode cli connects with --ssl and --ca-file, and not without the CA', async () => {
    const one = makeCert('grpc-one');
    const srv = await servers.start({ tls: { enabled: true, cert_file: one.cert, key_file: one.key } });
    const grpcHost = srv.server.grpcAddr!;
    const script = '.must $me login alice:alice123\n.log $me.params[user]\n';
    const ok = await runTinode(['cli', '--host', grpcHost, '--ssl', '--ca-file', one.cert, '--no-login', '--no-cookie'], { cwd: dir, input: script });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/usr[A-Za-z0-9_-]+/);
    // Without the CA the self-signed certificate is not trusted; in plaintext the server is not understood.
    const untrusted = await runTinode(['cli', '--host', grpcHost, '--ssl', '--no-login', '--no-cookie'], { cwd: dir, input: script });
    expect(untrusted.code).not.toBe(0);
    const plain = await runTinode(['cli', '--host', grpcHost, '--no-login', '--no-cookie'], { cwd: dir, input: script });
    expect(plain.code).not.toBe(0);
    const badCa = await runTinode(['cli', '--host', grpcHost, '--ssl', '--ca-file', join(dir, 'none.pem'), '--no-login'], { cwd: dir, input: script });
    expect(badCa.code).toBe(2);
    expect(badCa.stderr).toMatch(/--ca-file/);
  });
});

describe('tinode cli file uploads over HTTPS', () => {
  it('uploads over HTTPS (upload) and gRPC with TLS (file), trusting the --ca-file certificate for both', async () => {
    const one = makeCert('uploads');
    const srv = await servers.start({ tls: { enabled: true, cert_file: one.cert, key_file: one.key } });
    const file = join(dir, 'hello.txt');
    writeFileSync(file, 'uploaded over TLS');
    const script = `.must $me login alice:alice123
.log $me.params[token]
.must $up upload ${file}
.log $up.params[url]
.must file --what up ${file}
`;
    const r = await runTinode(['cli', '--host', srv.server.grpcAddr!, '--web-host', srv.host, '--ssl', '--ca-file', one.cert, '--no-login', '--no-cookie'], { cwd: dir, input: script });
    expect(r.code, r.stderr).toBe(0);
    // The HTTP answer's text is the reference's {ctrl} "ok"; gRPC's is its HTTP status text.
    expect(r.stdout).toMatch(/^Upload: <= 200 ok$/m);
    expect(r.stdout).toMatch(/^Upload: <= 200 OK$/m);
    // The file is there: downloaded over HTTPS with the same CA and alice's token.
    const token = /^"?([A-Za-z0-9+/=]{40,})"?$/m.exec(r.stdout)?.[1];
    const url = /^"?(\/v0\/file\/s\/[^"\s]+)"?$/m.exec(r.stdout)?.[1];
    expect(token, r.stdout).toBeDefined();
    expect(url, r.stdout).toBeDefined();
    const body = await new Promise<string>((resolve, reject) => {
      get(`https://${srv.host}${url!}`, { ca: readFileSync(one.cert), headers: { 'X-Tinode-APIKey': DEMO_KEY, 'X-Tinode-Auth': `Token ${token!}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve(`${res.statusCode ?? 0} ${text}`));
      }).once('error', reject);
    });
    expect(body).toBe('200 uploaded over TLS');
  });
});

describe('TLS from certificate files', () => {
  it('serves HTTPS with HSTS, and takes a renewed certificate without a restart', async () => {
    const one = makeCert('one');
    const two = makeCert('two');
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    copyFileSync(one.cert, cert);
    copyFileSync(one.key, key);
    const srv = await servers.start({ tls: { enabled: true, cert_file: cert, key_file: key, strict_max_age: 3600 } }, undefined, { tlsWatchMs: 100 });
    const port = Number(srv.host.split(':').pop());
    expect(srv.server.url).toMatch(/^https:/);

    const res = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
      get(`https://127.0.0.1:${port}/livez`, { ca: readFileSync(one.cert) }, (r) => {
        r.resume();
        resolve({ status: r.statusCode ?? 0, hsts: r.headers['strict-transport-security'] });
      }).once('error', reject);
    });
    expect(res).toEqual({ status: 200, hsts: 'max-age=3600' });
    expect(await servedName(port)).toBe('one');

    // A renewal writes new files: new connections get the new certificate.
    copyFileSync(two.cert, cert);
    copyFileSync(two.key, key);
    let name = '';
    for (let i = 0; i < 50 && name !== 'two'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      name = await servedName(port);
    }
    expect(name).toBe('two');

    // A certificate with another's key does not load: the one in use stays.
    copyFileSync(one.cert, cert);
    expect(srv.server.reloadTls()).toBe(false);
    expect(await servedName(port)).toBe('two');
    copyFileSync(one.key, key);
    expect(srv.server.reloadTls()).toBe(true);
    expect(await servedName(port)).toBe('one');
  });
});
