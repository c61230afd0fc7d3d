import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.js';

/**
 * TLS is on with both certificate files or with `tls.autocert` (ACME); each refusal names the key
 * to fix, before anything listens.
 */
describe('tls config', () => {
  const autocert = { cache: '/tmp/tinode-no-such-cache', email: 'a@example.com', domains: ['example.com'] };

  it('refuses tls.autocert without tls.http_redirect: the CA validates over plain HTTP on port 80', async () => {
    await expect(startTestServer({ tls: { enabled: true, autocert } })).rejects.toThrow(
      'config error at "tls.http_redirect": empty while tls.autocert is used: the CA validates the domains over plain HTTP (ACME HTTP-01); expected ":80"',
    );
  });

  it('refuses tls.autocert without domains or cache folder, wildcards, a directory not over HTTPS, an unreadable CA file', async () => {
    const tls = (a: Record<string, unknown>) => ({ tls: { enabled: true, http_redirect: '127.0.0.1:0', autocert: { ...autocert, ...a } } });
    await expect(startTestServer(tls({ domains: [] }))).rejects.toThrow('config error at "tls.autocert.domains": empty; expected the domain names');
    await expect(startTestServer(tls({ cache: '' }))).rejects.toThrow('config error at "tls.autocert.cache": empty; expected a folder');
    await expect(startTestServer(tls({ domains: ['*.example.com'] }))).rejects.toThrow('config error at "tls.autocert.domains[0]": the value is not a domain name; expected a domain name such as "chat.example.com" (no wildcards: they need DNS-01)');
    await expect(startTestServer(tls({ directory_url: 'http://ca.example/dir' }))).rejects.toThrow('config error at "tls.autocert.directory_url": the URL is not https://');
    await expect(startTestServer(tls({ ca_file: '/nonexistent/ca.pem' }))).rejects.toThrow('config error at "tls.autocert.ca_file": cannot read /nonexistent/ca.pem (ENOENT)');
  });

  it('refuses tls.enabled without a key file, naming it', async () => {
    await expect(startTestServer({ tls: { enabled: true, cert_file: '/tmp/cert.pem' } })).rejects.toThrow('config error at "tls.key_file": missing while tls.enabled is true');
  });

  it('refuses tls.enabled with neither certificate files nor tls.autocert', async () => {
    await expect(startTestServer({ tls: { enabled: true } })).rejects.toThrow(
      'config error at "tls.cert_file": missing while tls.enabled is true; expected the path of a PEM file (or tls.autocert for certificates from an ACME CA, or tls.enabled: false)',
    );
  });
});
