/**
 * The ways a client reaches the server: a websocket, long polling, or a gRPC stream. Transports
 * create sessions of their kind, and the session gate counts long-poll sessions apart, so the name
 * lives below both rather than in either one.
 */
export type TransportKind = 'ws' | 'lp' | 'grpc';
