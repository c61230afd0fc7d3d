import * as grpc from '@grpc/grpc-js';
import type { IConversionOptions } from 'protobufjs';
import { pluginServiceDefinition } from '../src/wire/codec/plugin-service.js';

/**
 * The bot's side of the server's plugin calls: a `pbx.Plugin` gRPC service on `--listen`. The
 * server (with this bot configured under `plugins` in tinode.conf) calls `Account` when
 * accounts are created, changed or deleted. The other calls get neutral answers, in case the
 * configuration sends them too: the firehose and search let everything through, events are
 * acknowledged.
 */

/** An account event, as the bot uses it. */
export interface AccountEvent {
  action: 'CREATE' | 'UPDATE' | 'DELETE';
  /** `usr...` */
  userId: string;
  public: unknown;
  tags: string[];
}

export interface PluginHandlers {
  account(ev: AccountEvent): void;
}

export interface PluginServer {
  /** Where it listens, with the port actually bound (for port 0). */
  readonly address: string;
  close(): Promise<void>;
}

type Pb = Record<string, unknown>;
// Enum zero values (CREATE) must be there: decode with defaults.
const DECODE: IConversionOptions = { longs: Number, enums: String, bytes: Buffer, defaults: true };


function jsonOf(bytes: unknown): unknown {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The account event in a decoded AccountEvent. */
export function accountEvent(req: Pb): AccountEvent {
  const action = req.action === 'UPDATE' || req.action === 'DELETE' ? req.action : 'CREATE';
  return {
    action,
    userId: typeof req.user_id === 'string' ? req.user_id : '',
    public: jsonOf(req.public),
    tags: Array.isArray(req.tags) ? req.tags.filter((t): t is string => typeof t === 'string') : [],
  };
}

type Callback = grpc.sendUnaryData<Pb>;

/** Starts the Plugin service on `listen` (`host:port`, or `unix:/path`). */
export async function startPluginServer(listen: string, handlers: PluginHandlers): Promise<PluginServer> {
  const server = new grpc.Server();
  server.addService(pluginServiceDefinition(DECODE), {
    // Answer at once: the server waits for the reply only up to the plugin's timeout.
    Account: (call: grpc.ServerUnaryCall<Pb, Pb>, cb: Callback) => {
      cb(null, {});
      handlers.account(accountEvent(call.request));
    },
    FireHose: (_call: grpc.ServerUnaryCall<Pb, Pb>, cb: Callback) => cb(null, { status: 'CONTINUE' }),
    Find: (_call: grpc.ServerUnaryCall<Pb, Pb>, cb: Callback) => cb(null, { status: 'CONTINUE' }),
    Topic: (_call: grpc.ServerUnaryCall<Pb, Pb>, cb: Callback) => cb(null, {}),
    Subscription: (_call: grpc.ServerUnaryCall<Pb, Pb>, cb: Callback) => cb(null, {}),
    Message: (_call: grpc.ServerUnaryCall<Pb, Pb>, cb: Callback) => cb(null, {}),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const address = listen.startsWith('unix:') ? listen : listen.replace(/:\d+$/, `:${port}`);
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 1000);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
