import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/** A protobuf message as @grpc/proto-loader gives it (field names as in model.proto). */
export type Pb = Record<string, unknown>;

/**
 * The `pbx` package of our proto/model.proto, loaded as any Tinode gRPC client loads the
 * reference's pbx/model.proto: field names kept, 64-bit numbers as numbers, enums as names.
 */
export function pbx(): { Node: grpc.ServiceClientConstructor; Plugin: grpc.ServiceClientConstructor } {
  const def = protoLoader.loadSync(join(ROOT, 'proto', 'model.proto'), { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true });
  return (grpc.loadPackageDefinition(def) as unknown as { pbx: { Node: grpc.ServiceClientConstructor; Plugin: grpc.ServiceClientConstructor } }).pbx;
}

/** A client of the `Node` service with the methods a test calls (`MessageLoop`, files). */
export function nodeClient<C extends grpc.Client = grpc.Client & { MessageLoop(): grpc.ClientDuplexStream<Pb, Pb> }>(addr: string): C {
  return new (pbx().Node)(addr, grpc.credentials.createInsecure()) as unknown as C;
}
