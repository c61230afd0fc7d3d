import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type { IConversionOptions, Type } from 'protobufjs';
import { protoRoot } from './proto-codec.js';

/** A protobuf message as a plain object (field names as in the .proto file). */
export type PbObject = Record<string, unknown>;

/**
 * The `pbx.Plugin` gRPC service of proto/model.proto for @grpc/grpc-js: the server calls it (as a
 * client) and plugins such as `tinode bot` serve it. Messages travel as plain objects decoded
 * with `decode`.
 */
export function pluginServiceDefinition(decode: IConversionOptions): ServiceDefinition {
  const root = protoRoot();
  const method = (name: string, req: string, res: string): MethodDefinition<PbObject, PbObject> => {
    const reqType: Type = root.lookupType(`pbx.${req}`);
    const resType: Type = root.lookupType(`pbx.${res}`);
    return {
      path: `/pbx.Plugin/${name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (o: PbObject) => Buffer.from(reqType.encode(reqType.fromObject(o)).finish()),
      requestDeserialize: (b: Buffer) => reqType.toObject(reqType.decode(b), decode) as PbObject,
      responseSerialize: (o: PbObject) => Buffer.from(resType.encode(resType.fromObject(o)).finish()),
      responseDeserialize: (b: Buffer) => resType.toObject(resType.decode(b), decode) as PbObject,
    };
  };
  return {
    FireHose: method('FireHose', 'ClientReq', 'ServerResp'),
    Find: method('Find', 'SearchQuery', 'SearchFound'),
    Account: method('Account', 'AccountEvent', 'Unused'),
    Topic: method('Topic', 'TopicEvent', 'Unused'),
    Subscription: method('Subscription', 'SubscriptionEvent', 'Unused'),
    Message: method('Message', 'MessageEvent', 'Unused'),
  };
}
