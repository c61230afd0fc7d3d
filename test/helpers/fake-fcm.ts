import { createVerify, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/** A push FCM was asked to send. */
export interface FcmSend {
  token: string;
  data: Record<string, string>;
  apns: { payload: { aps: { badge: number } } };
}

/**
 * A fake FCM HTTP v1 service on loopback: it checks the service account's JWT at its token
 * endpoint, keeps every send, and calls the device `stale-device` unregistered.
 */
export class FakeFcm {
  readonly sends: FcmSend[] = [];
  tokenRequests = 0;
  readonly #keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

  readonly #server: Server;
  port = 0;

  private constructor() {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => this.answer(req.url ?? '', req.headers.authorization, body, res));
    });
  }

  static async start(): Promise<FakeFcm> {
    const fcm = new FakeFcm();
    await new Promise<void>((r) => fcm.#server.listen(0, '127.0.0.1', r));
    fcm.port = (fcm.#server.address() as { port: number }).port;
    return fcm;
  }

  private answer(url: string, auth: string | undefined, body: string, res: import('node:http').ServerResponse): void {
    if (url === '/token') {
      // The service account's JWT must verify with its public key.
      const assertion = new URLSearchParams(body).get('assertion') ?? '';
      const [h, c, s] = assertion.split('.');
      const ok = createVerify('RSA-SHA256').update(`${h}.${c}`).verify(this.#keys.publicKey, Buffer.from(s ?? '', 'base64url'));
      const claims = JSON.parse(Buffer.from(c ?? '', 'base64url').toString()) as { iss: string; scope: string };
      if (!ok || claims.iss !== 'pusher@test-project.iam.gserviceaccount.com' || !claims.scope.includes('firebase.messaging')) {
        res.writeHead(401).end('{"error":"invalid_grant"}');
        return;
      }
      this.tokenRequests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'ya29.fake', expires_in: 3600, token_type: 'Bearer' }));
      return;
    }
    if (url === '/v1/projects/test-project/messages:send' && auth === 'Bearer ya29.fake') {
      const { message } = JSON.parse(body) as { message: FcmSend };
      this.sends.push(message);
      if (message.token === 'stale-device') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(
          JSON.stringify({ error: { code: 404, status: 'NOT_FOUND', details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }] } }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"projects/test-project/messages/1"}');
      return;
    }
    res.writeHead(403).end();
  }

  /** The server's `push` section for this service. */
  pushConfig(): unknown[] {
    return [
      {
        name: 'fcm',
        config: {
          enabled: true,
          project_id: 'test-project',
          endpoint: `http://127.0.0.1:${this.port}`,
          credentials: {
            type: 'service_account',
            project_id: 'test-project',
            private_key_id: 'k1',
            private_key: this.#keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
            client_email: 'pusher@test-project.iam.gserviceaccount.com',
            token_uri: `http://127.0.0.1:${this.port}/token`,
          },
        },
      },
    ];
  }

  close(): void {
    this.#server.close();
  }
}
