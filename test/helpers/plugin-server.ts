import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/** The `pbx.Plugin` service of the proto, for plugins written in tests. */
export function pluginService(): grpc.ServiceDefinition {
  const def = protoLoader.loadSync(join(ROOT, 'proto', 'model.proto'), { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { pbx: { Plugin: { service: grpc.ServiceDefinition } } };
  return pkg.pbx.Plugin.service;
}

/** Binds a gRPC server to a free loopback port. */
export function listenPlugin(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}
