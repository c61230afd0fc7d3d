import { join } from 'node:path';
import protobuf from 'protobufjs';
import type { IConversionOptions, Root, Type } from 'protobufjs';
import { packageRoot } from '../../paths.js';

/** The `pbx` schema of proto/model.proto, loaded once. */

/** Options for `Type.toObject` that produce what the decoders expect. */
export const TO_OBJECT_OPTIONS: IConversionOptions = { longs: Number, enums: String, oneofs: true };

/** Where the schema is: proto/model.proto in the package folder, from src or dist alike. */
export function protoPath(): string {
  return join(packageRoot(), 'proto', 'model.proto');
}

let root: Root | undefined;

/** The `pbx` schema, loaded once, with field names as written in the .proto file. */
export function protoRoot(): Root {
  if (!root) {
    const r = new protobuf.Root();
    r.loadSync(protoPath(), { keepCase: true });
    r.resolveAll();
    root = r;
  }
  return root;
}

/**
 * The message types of the chat stream, for a gRPC transport's serialize/deserialize hooks.
 * `clientMsg` and `serverMsg` are the same types under shorter names.
 */
export function protoTypes(): { clientMsgType: Type; serverMsgType: Type; clientMsg: Type; serverMsg: Type } {
  const r = protoRoot();
  const clientMsgType = r.lookupType('pbx.ClientMsg');
  const serverMsgType = r.lookupType('pbx.ServerMsg');
  return { clientMsgType, serverMsgType, clientMsg: clientMsgType, serverMsg: serverMsgType };
}
