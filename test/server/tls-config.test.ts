import { describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.js';

/** TLS is on only with both files; the error names the key to fix (ACME is not supported yet). */
describe('tls config', () => {
  it('refuses tls.autocert alone, naming the key and what to set instead', async () => {
    await expect(startTestServer({ tls: { enabled: true, autocert: { cache: '/tmp/certs', email: 'a@example.com', domains: ['example.com'] } } })).rejects.toThrow(
      'config error at "tls.autocert": certificates from an ACME CA are not supported yet; expected tls.cert_file and tls.key_file (PEM files) instead',
    );
  });

  it('refuses tls.enabled without a key file, naming it', async () => {
    await expect(startTestServer({ tls: { enabled: true, cert_file: '/tmp/cert.pem' } })).rejects.toThrow('config error at "tls.key_file": missing while tls.enabled is true');
  });
});
